"""The fake vLLM's wire format, one module per endpoint: what a release's bodies, chunks and
stream events look like, built from the profile's knobs, the request and the planned reply.
Nothing here reads the clock or the app state: times come in as arguments and ids from a
generator passed in (only the 0.10.2-0.17 uuid4 item ids of /v1/responses are drawn here)."""
