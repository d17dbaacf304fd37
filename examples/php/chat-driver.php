<?php
// Like the chat-completions driver prism-php/prism users switched to (#900): it assumes every
// stream ends with usage, never asks for it (no stream_options), and builds its Usage from
// whatever the last chunk held. Where a stream ends without usage, the typed constructor
// throws a TypeError nobody catches: the process dies with a PHP fatal error.
//   llm-fakes matrix --driver-cmd "php examples/php/chat-driver.php"

declare(strict_types=1);

require __DIR__ . '/protocol.php';

final class Usage
{
    public function __construct(public int $promptTokens, public int $completionTokens)
    {
    }
}

$call = read_call();
$request = $call['request'];
$body = ['model' => $call['model'], 'messages' => $request['messages']];
foreach (['max_tokens', 'tools', 'tool_choice'] as $key) {
    if (isset($request[$key])) {
        $body[$key] = $request[$key];
    }
}
$streaming = $call['op'] === 'stream';
$body['stream'] = $streaming;

emit(['type' => 'endpoint', 'path' => '/chat/completions']);
[$status, $stream] = post($call, '/chat/completions', $body);
if ($stream === null) {
    emit(['type' => 'error', 'kind' => 'server', 'message' => 'connection failed']);
    exit(0);
}
if ($status !== 200) {
    emit(http_error($status, stream_get_contents($stream)));
    exit(0);
}

function report(Usage $usage): void
{
    emit(['type' => 'usage', 'usage' => [
        'prompt_tokens' => $usage->promptTokens,
        'completion_tokens' => $usage->completionTokens,
        'total_tokens' => $usage->promptTokens + $usage->completionTokens,
    ]]);
}

if (!$streaming) {
    $response = json_decode(stream_get_contents($stream), true);
    $choice = $response['choices'][0];
    if (($choice['message']['content'] ?? '') !== '') {
        emit(['type' => 'text', 'text' => $choice['message']['content']]);
    }
    foreach ($choice['message']['tool_calls'] ?? [] as $index => $tool) {
        emit(['type' => 'tool_call', 'index' => $index, 'id' => $tool['id'],
            'name' => $tool['function']['name'], 'arguments' => $tool['function']['arguments']]);
    }
    report(new Usage($response['usage']['prompt_tokens'], $response['usage']['completion_tokens']));
    emit(['type' => 'finish', 'reason' => $choice['finish_reason']]);
    emit(['type' => 'result']);
    exit(0);
}

$last = [];
$reason = null;
$payloads = sse_payloads($stream);
foreach ($payloads as $chunk) {
    if (isset($chunk['error'])) {
        emit(['type' => 'error', 'kind' => 'server', 'message' => json_encode($chunk['error'])]);
        exit(0);
    }
    foreach ($chunk['choices'] ?? [] as $choice) {
        $delta = $choice['delta'] ?? [];
        if (($delta['content'] ?? '') !== '') {
            emit(['type' => 'text', 'text' => $delta['content']]);
        }
        foreach ($delta['tool_calls'] ?? [] as $position => $tool) {
            emit(['type' => 'tool_call', 'index' => $tool['index'] ?? $position, 'id' => $tool['id'] ?? null,
                'name' => $tool['function']['name'] ?? null, 'arguments' => $tool['function']['arguments'] ?? '']);
        }
        $reason = $choice['finish_reason'] ?? $reason;
    }
    $last = $chunk;
}
if (!$payloads->getReturn()) {
    emit(['type' => 'error', 'kind' => 'truncated', 'message' => 'the stream ended without [DONE]']);
    exit(0);
}
// the bug: usage is assumed to be on the last chunk
report(new Usage($last['usage']['prompt_tokens'] ?? null, $last['usage']['completion_tokens'] ?? null));
if ($reason !== null) {
    emit(['type' => 'finish', 'reason' => $reason]);
}
emit(['type' => 'result']);
