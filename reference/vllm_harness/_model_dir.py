"""A model directory with no weights: a tiny Llama config, a tokenizer that counts as the fake
counts, and a chat template. Enough for a vLLM release to build its config, tokenizer and
serving classes; nothing here is ever run as a model.

Prompt lengths are a property of the model, and vLLM reports them as its tokenizer and chat
template produce them (usage ``prompt_tokens``; the default ``max_output_tokens`` of
``/v1/responses`` is max_model_len minus the prompt). So the tokenizer splits text exactly as
``fakes.model.tokens`` does (one word-level token per match of its pattern, an unknown word
included), and the template frames each message with three special tokens, as
``fakes.model.tokens.prompt_tokens`` counts: the two counts can then be compared.
"""

from __future__ import annotations

import json
from pathlib import Path

from fakes.model import tokens

EOS = "<|endoftext|>"
UNKNOWN = "<|unk|>"
# the three tokens framing each message: <|im_start|>role<|im_sep|>content<|im_end|>
FRAME = ("<|im_start|>", "<|im_sep|>", "<|im_end|>")
SPECIAL = (EOS, *FRAME)
# Whole tokens the reasoning and tool parsers look up by id (in the vocabulary, not added
# tokens: a prompt's "<think>" text still splits as the fake counts it, "<", "think", ">").
TAGS = ("<think>", "</think>", "<tool_call>", "</tool_call>")
VOCAB = 400
MARKER = "tokenizer-v2"  # bump when anything below changes: a cached directory is rebuilt

# No generation prompt: the fake counts a prompt as its messages only.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}<|im_sep|>"
    "{% if message['content'] is string %}{{ message['content'] }}{% endif %}"
    "<|im_end|>"
    "{% endfor %}"
)

CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "num_hidden_layers": 1,
    "vocab_size": 512,
    "max_position_embeddings": 65536,
    "rms_norm_eps": 1e-6,
    "torch_dtype": "float32",
    "bos_token_id": 1,
    "eos_token_id": 0,
    "tie_word_embeddings": False,
}


def _corpus() -> list[str]:
    from fakes.model.script import LOREM

    return [
        LOREM,
        "Hello world, the weather in Paris is sunny. " * 4,
        '{"name": "get_weather", "arguments": {"city": "Paris"}}',
        "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?'\"()[]{}<>/",
    ]


def vocabulary() -> dict[str, int]:
    """Special tokens first (the EOS is id 0, as config.json says), then the fake's tokens of
    the corpus, so that scripted replies decode back to their text."""
    words: dict[str, int] = {}
    for token in (*SPECIAL, UNKNOWN, *TAGS):
        words[token] = len(words)
    for text in _corpus():
        for token in tokens.tokenize(text):
            if len(words) >= VOCAB:
                return words
            words.setdefault(token, len(words))
    return words


def build(directory: Path) -> Path:
    """Create (or reuse) the model directory; return it."""
    if (directory / MARKER).exists():
        return directory
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.WordLevel(vocabulary(), unk_token=UNKNOWN))
    # the fake's own pattern: each match is one token (fakes/model/tokens.py)
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(tokens.PATTERN), behavior="isolated")
    tokenizer.decoder = decoders.Fuse()  # tokens keep their whitespace: join them as they are
    tokenizer.add_special_tokens([AddedToken(t, normalized=False) for t in (*SPECIAL, UNKNOWN)])
    tokenizer.save(str(directory / "tokenizer.json"))
    (directory / "config.json").write_text(json.dumps(CONFIG, indent=2))
    (directory / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "eos_token": EOS,
                "pad_token": EOS,
                "unk_token": UNKNOWN,
                "bos_token": None,
                "model_max_length": 65536,
                "chat_template": CHAT_TEMPLATE,
            },
            indent=2,
        )
    )
    (directory / "generation_config.json").write_text(json.dumps({"eos_token_id": 0}))
    (directory / MARKER).write_text("")
    return directory
