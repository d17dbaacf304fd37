<?php
// The llm-fakes driver protocol (v1, docs/driver-protocol.md): one request line on stdin,
// event lines and one terminal line on stdout. Plain PHP: no Composer, no curl extension.

declare(strict_types=1);

function read_call(): array
{
    $line = fgets(STDIN);
    $call = $line === false ? null : json_decode($line, true);
    if (!is_array($call) || ($call['v'] ?? null) !== 1) {
        emit(['type' => 'crash', 'message' => 'unknown protocol version']);
        exit(0);
    }
    return $call;
}

function emit(array $line): void
{
    fwrite(STDOUT, json_encode($line, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n");
}

/** POST JSON; returns [status, stream]. HTTP/1.0, so the body ends when the server closes. */
function post(array $call, string $path, array $body): array
{
    $headers = ["Content-Type: application/json", "Accept: application/json, text/event-stream"];
    if (($call['api_key'] ?? null) !== null) {
        $headers[] = 'Authorization: Bearer ' . $call['api_key'];
    }
    $context = stream_context_create(['http' => [
        'method' => 'POST',
        'header' => implode("\r\n", $headers),
        'content' => json_encode($body, JSON_UNESCAPED_SLASHES),
        'ignore_errors' => true,  // read 4xx/5xx bodies instead of failing the fopen
        'timeout' => (float) ($call['timeout'] ?? 10),
    ]]);
    $stream = @fopen(rtrim($call['base_url'], '/') . $path, 'r', false, $context);
    if ($stream === false) {
        return [0, null];
    }
    $status = 0;
    foreach (stream_get_meta_data($stream)['wrapper_data'] ?? [] as $header) {
        if (preg_match('#^HTTP/\S+\s+(\d{3})#', $header, $m)) {
            $status = (int) $m[1];  // the last status line wins (after any redirect)
        }
    }
    return [$status, $stream];
}

/** How a client library would classify an HTTP error. */
function http_error(int $status, string $body): array
{
    $kind = match (true) {
        $status === 401 || $status === 403 => 'auth',
        // a missing route: FastAPI's {"detail":"Not Found"} (also quoted inside a proxy's
        // message), Go's "404 page not found"
        $status === 404 && preg_match('/\\\\?"detail\\\\?":\s*\\\\?"Not Found|404 page not found/', $body) === 1
            => 'endpoint_unsupported',
        $status === 404 && preg_match('/model/i', $body) === 1 => 'model_not_found',
        in_array($status, [404, 405, 501], true) => 'endpoint_unsupported',
        $status === 429 => 'rate_limited',
        $status >= 500 => 'server',
        default => 'bad_request',
    };
    return ['type' => 'error', 'kind' => $kind, 'status' => $status, 'message' => substr($body, 0, 300)];
}

/** The data payloads of an SSE stream, as they arrive; null when it ends without [DONE]. */
function sse_payloads($stream): Generator
{
    while (($line = fgets($stream)) !== false) {
        $line = rtrim($line, "\r\n");
        if (!str_starts_with($line, 'data:')) {
            continue;
        }
        $data = ltrim(substr($line, 5));
        if ($data === '[DONE]') {
            return true;
        }
        yield json_decode($data, true);
    }
    return false;
}
