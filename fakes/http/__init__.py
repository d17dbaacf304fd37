"""HTTP plumbing shared by the fake servers: serving, SSE framing, capture, the request log,
the control plane, metrics, and the client the proxies call others with."""
