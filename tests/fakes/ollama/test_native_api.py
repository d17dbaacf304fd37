"""The native API: NDJSON streams, /api/tags, /api/version, / and gin's 404."""

from __future__ import annotations

from typing import Any

import orjson

from fakes.model.script import Reply, Rule, Script

HELLO = Script(rules=(Rule(reply=Reply(text="Hello there world")),))
CHAT = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}


async def test_api_chat_streams_ndjson_by_default(ollama: Any) -> None:
    async with ollama("0.5.7", script=HELLO) as client:
        response = await client.post("/api/chat", json=CHAT)
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [orjson.loads(line) for line in response.text.splitlines()]
    assert [line["message"]["content"] for line in lines] == ["Hello", " there", " world", ""]
    assert [line["done"] for line in lines] == [False, False, False, True]
    assert lines[-1]["done_reason"] == "stop" and lines[-1]["eval_count"] == 3
    # 0.11.x: done_reason before done; 0.12.0 swaps them
    assert list(lines[-1])[3:5] == ["done_reason", "done"]
    async with ollama("0.12.0", script=HELLO) as client:
        last = (await client.post("/api/chat", json=CHAT)).text.splitlines()[-1]
    assert list(orjson.loads(last))[3:5] == ["done", "done_reason"]


async def test_api_generate_without_streaming_and_native_errors(ollama: Any) -> None:
    async with ollama("0.32.15", script=HELLO) as client:
        body = await client.post(
            "/api/generate", json={"model": "fake-model", "prompt": "hi", "stream": False}
        )
        missing = await client.post("/api/generate", json={"model": "x", "prompt": "hi"})
        empty = await client.post("/api/chat", content=b"")
    assert body.json()["response"] == "Hello there world" and body.json()["done"] is True
    assert (missing.status_code, missing.json()) == (404, {"error": "model 'x' not found"})
    assert (empty.status_code, empty.json()) == (400, {"error": "missing request body"})


async def test_root_tags_version_models_and_unknown_routes(ollama: Any) -> None:
    async with ollama("0.6.2", models=("llama3", "qwen:7b")) as client:
        root = await client.get("/")
        tags = (await client.get("/api/tags")).json()
        version = (await client.get("/api/version")).json()
        models = (await client.get("/v1/models")).json()
        wrong_method = await client.get("/v1/chat/completions")
    assert root.text == "Ollama is running"
    assert [m["name"] for m in tags["models"]] == ["llama3:latest", "qwen:7b"]
    assert version == {"version": "0.6.2"}
    assert [(m["id"], m["owned_by"]) for m in models["data"]] == [
        ("llama3:latest", "library"),
        ("qwen:7b", "library"),
    ]
    assert (wrong_method.status_code, wrong_method.text) == (404, "404 page not found")


def test_serve_ollama_rejects_a_release_before_0_3_1_in_one_line() -> None:
    from click.testing import CliRunner

    from fakes.cli import main

    result = CliRunner().invoke(main, ["serve", "ollama", "--version", "0.2.8", "--port", "0"])
    assert result.exit_code == 1
    assert "Error: ollama 0.2.8 is outside every known range" in result.output
    assert "Traceback" not in result.output


def test_profiles_lists_the_ollama_releases() -> None:
    from click.testing import CliRunner

    from fakes.cli import main

    result = CliRunner().invoke(main, ["profiles", "--backend", "ollama"])
    assert result.exit_code == 0
    assert "ollama-0.4.6" in result.output and "ollama-0.32.6" in result.output
