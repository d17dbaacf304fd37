"""What ``serve`` prints at start: where the fake listens, and commands to try it with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakes.cli._terminal import Printer, terminal

if TYPE_CHECKING:
    from fakes.vllm import VllmConfig


def banner(url: str, config: VllmConfig, elapsed: float, workers: int = 1) -> None:
    profile, version, model = config.profile, config.version, config.served_model_names[0]
    key = config.api_keys[0] if config.api_keys else None
    console = terminal()  # never wrap inside a command to copy
    # the key itself never goes to a terminal or a CI log
    auth = ' -H "Authorization: Bearer $API_KEY"' if key else ""
    key_code = "os.environ['API_KEY']" if key else "'none'"
    console.print(f"[bold green]fake vLLM {version}[/] ({profile.name}: {profile.summary})")
    per = f", {workers} workers: control plane and request log per worker" if workers > 1 else ""
    console.print(f"listening on [bold]{url}[/]  (ready in {elapsed * 1000:.0f} ms{per})")
    console.print("try:", style="dim")
    console.print(_stream_curl(url, auth, model), markup=False, highlight=False)
    console.print(
        f'  python -c "{"import os; " if key else ""}from openai import OpenAI; '
        f"c = OpenAI(base_url='{url}/v1', "
        f"api_key={key_code}); print(c.chat.completions.create(model='{model}', "
        "messages=[{'role': 'user', 'content': 'Hello'}]).choices[0].message.content)\"",
        markup=False,
        highlight=False,
    )
    console.print(f"  control plane: {url}/_fake/requests", style="dim")


def console_line(console: Printer, url: str, enabled: bool, token: str | None) -> None:
    if enabled:
        query = "?token=TOKEN" if token else ""
        console.print(f"console: {url}/_fake/ui{query}", style="bold", markup=False)


def url_of(host: str, port: int) -> str:
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def curl_examples(console: Printer, url: str, model: str, key: str | None) -> None:
    auth = ' -H "Authorization: Bearer $MASTER_KEY"' if key else ""
    console.print("try:", style="dim")
    plain = _stream_curl(url, auth, model) + "   # ends without usage"
    console.print(plain, markup=False, highlight=False)
    usage = _stream_curl(url, auth, model, ', "stream_options": {"include_usage": true}')
    console.print(usage, markup=False, highlight=False)
    console.print(f"  control plane: {url}/_fake/requests", style="dim")


def _stream_curl(url: str, auth: str, model: str, options: str = "") -> str:
    """A streamed chat request to copy into a shell."""
    return (
        f"  curl -N {url}/v1/chat/completions{auth} -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"model": "{model}", "messages": [{{"role": "user", "content": '
        f'"Hello"}}], "stream": true{options}}}\''
    )
