"""The fake vLLM's wire format, one module per endpoint: what a release's bodies, chunks and
stream events look like, built from the profile's knobs, the request and the planned reply.
Nothing here reads the clock or the app state, so each answer is a function of its inputs."""
