<?php
// Like prism-php/prism's "openai" driver before #900 was fixed: it only speaks
// POST /v1/responses. On a backend without that route every call is an error.
//   llm-fakes matrix --driver-cmd "php examples/php/responses-driver.php"

declare(strict_types=1);

require __DIR__ . '/protocol.php';

$call = read_call();
$request = $call['request'];
$body = ['model' => $call['model'], 'input' => $request['messages']];
if (isset($request['max_tokens'])) {
    $body['max_output_tokens'] = $request['max_tokens'];
}
if (!empty($request['tools'])) {
    $body['tools'] = array_map(
        fn (array $tool) => ['type' => 'function'] + $tool['function'],
        $request['tools'],
    );
}
$streaming = $call['op'] === 'stream';
if ($streaming) {
    $body['stream'] = true;
}

emit(['type' => 'endpoint', 'path' => '/responses']);
[$status, $stream] = post($call, '/responses', $body);
if ($stream === null) {
    emit(['type' => 'error', 'kind' => 'server', 'message' => 'connection failed']);
    exit(0);
}
if ($status !== 200) {
    emit(http_error($status, stream_get_contents($stream)));
    exit(0);
}

function finish(array $response): void
{
    $calls = 0;
    foreach ($response['output'] ?? [] as $item) {
        if ($item['type'] === 'function_call') {
            emit(['type' => 'tool_call', 'index' => $calls++, 'id' => $item['call_id'],
                'name' => $item['name'], 'arguments' => $item['arguments']]);
        }
    }
    if (isset($response['usage'])) {
        $usage = $response['usage'];
        emit(['type' => 'usage', 'usage' => [
            'prompt_tokens' => $usage['input_tokens'],
            'completion_tokens' => $usage['output_tokens'],
            'total_tokens' => $usage['total_tokens'],
        ]]);
    }
    $reason = ($response['status'] ?? '') === 'incomplete' ? 'length' : ($calls ? 'tool_calls' : 'stop');
    emit(['type' => 'finish', 'reason' => $reason]);
}

if (!$streaming) {
    $response = json_decode(stream_get_contents($stream), true);
    foreach ($response['output'] ?? [] as $item) {
        foreach ($item['content'] ?? [] as $part) {
            if (($part['type'] ?? '') === 'output_text' && is_string($part['text'] ?? null)) {
                emit(['type' => 'text', 'text' => $part['text']]);
            }
        }
    }
    finish($response);
    emit(['type' => 'result']);
    exit(0);
}

$completed = false;
$events = sse_payloads($stream);
foreach ($events as $event) {
    $type = $event['type'] ?? '';
    if ($type === 'response.output_text.delta') {
        emit(['type' => 'text', 'text' => $event['delta']]);
    } elseif ($type === 'response.completed' || $type === 'response.incomplete') {
        finish($event['response']);
        $completed = true;
    } elseif ($type === 'error' || $type === 'response.failed') {
        emit(['type' => 'error', 'kind' => 'server', 'message' => json_encode($event)]);
        exit(0);
    }
}
emit($completed ? ['type' => 'result'] : ['type' => 'error', 'kind' => 'truncated', 'message' => 'no response.completed']);
