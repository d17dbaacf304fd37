// An llm-fakes contract driver in TypeScript: the official `openai` npm package, chat
// completions, used as an application would use it. It speaks the JSON-lines protocol v1 of
// contracts/drivers/_subprocess.py: one request line on stdin, event lines and one terminal
// line (result | error | crash) on stdout. Logs go to stderr.

import OpenAI, { APIConnectionError, APIError } from "openai";

type Json = Record<string, any>;

interface Call {
  v: number;
  op: "complete" | "stream";
  base_url: string;
  model: string;
  api_key: string | null;
  timeout: number;
  request: {
    messages: Json[];
    stream: boolean;
    tools?: Json[];
    tool_choice?: string | Json;
    max_tokens?: number;
    parallel_tool_calls?: boolean;
  };
}

function emit(value: Json): void {
  process.stdout.write(JSON.stringify(value) + "\n");
}

async function readCall(): Promise<Call> {
  let data = "";
  for await (const chunk of process.stdin) data += chunk;
  return JSON.parse(data.split("\n", 1)[0]) as Call;
}

// Errors are classified from APIError.status, as a careful application would.
function kindOf(status: number, message: string): string {
  if (status === 401 || status === 403) return "auth";
  if (status === 404) {
    return /does not exist|model/i.test(message) ? "model_not_found" : "endpoint_unsupported";
  }
  if (status === 405 || status === 501) return "endpoint_unsupported";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server";
  return "bad_request";
}

function usageOf(usage: Json | null | undefined): Json | null {
  if (!usage) return null;
  return {
    prompt_tokens: usage.prompt_tokens ?? null,
    completion_tokens: usage.completion_tokens ?? null,
    total_tokens: usage.total_tokens ?? null,
  };
}

function reasoningOf(value: Json): string | undefined {
  return value.reasoning ?? value.reasoning_content ?? undefined;
}

async function run(call: Call): Promise<void> {
  const client = new OpenAI({
    baseURL: call.base_url,
    apiKey: call.api_key || "unused", // an empty key still goes on the wire
    maxRetries: 0,
    timeout: call.timeout * 1000,
  });
  const { request } = call;
  const params: Json = { model: call.model, messages: request.messages };
  if (request.tools !== undefined) params.tools = request.tools;
  if (request.tool_choice !== undefined) params.tool_choice = request.tool_choice;
  if (request.max_tokens !== undefined) params.max_tokens = request.max_tokens;
  if (request.parallel_tool_calls !== undefined) {
    params.parallel_tool_calls = request.parallel_tool_calls;
  }
  emit({ type: "endpoint", path: "/chat/completions" });

  if (call.op === "complete") {
    const completion: Json = await client.chat.completions.create({
      ...params,
      stream: false,
    } as any);
    const choice = completion.choices[0];
    const message = choice.message;
    const reasoning = reasoningOf(message);
    if (reasoning) emit({ type: "reasoning", text: reasoning });
    if (message.content) emit({ type: "text", text: message.content });
    (message.tool_calls ?? []).forEach((tc: Json, index: number) => {
      emit({
        type: "tool_call",
        index,
        id: tc.id || null,
        name: tc.function.name,
        arguments: tc.function.arguments,
      });
    });
    const usage = usageOf(completion.usage);
    if (usage) emit({ type: "usage", usage });
    emit({ type: "finish", reason: choice.finish_reason ?? null });
    return;
  }

  const stream = await client.chat.completions.create({
    ...params,
    stream: true,
    stream_options: { include_usage: true },
  } as any);
  let usage: Json | null = null;
  let finish: string | null = null;
  for await (const chunk of stream as unknown as AsyncIterable<Json>) {
    usage = usageOf(chunk.usage) ?? usage;
    for (const choice of chunk.choices ?? []) {
      const delta: Json = choice.delta ?? {};
      const reasoning = reasoningOf(delta);
      if (reasoning) emit({ type: "reasoning", text: reasoning });
      if (delta.content) emit({ type: "text", text: delta.content });
      for (const tc of delta.tool_calls ?? []) {
        emit({
          type: "tool_call",
          index: tc.index,
          id: tc.id || null,
          name: tc.function?.name ?? null,
          arguments: tc.function?.arguments ?? "",
        });
      }
      finish = choice.finish_reason ?? finish;
    }
  }
  if (usage) emit({ type: "usage", usage });
  emit({ type: "finish", reason: finish });
}

async function main(): Promise<void> {
  const call = await readCall();
  if (call.v !== 1) {
    emit({ type: "crash", message: `unsupported protocol version ${call.v}` });
    return;
  }
  try {
    await run(call);
    emit({ type: "result" });
  } catch (error) {
    if (error instanceof APIConnectionError) {
      emit({ type: "error", kind: "truncated", message: error.message, status: null });
    } else if (error instanceof APIError && error.status !== undefined) {
      const status = error.status;
      const said = `${error.message} ${JSON.stringify(error.error ?? "")}`;
      emit({ type: "error", kind: kindOf(status, said), message: error.message, status });
    } else if (error instanceof APIError) {
      // an error event inside a 200 stream
      emit({ type: "error", kind: "server", message: error.message, status: null });
    } else {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      console.error(error);
      emit({ type: "crash", message: text });
    }
  }
}

await main();
