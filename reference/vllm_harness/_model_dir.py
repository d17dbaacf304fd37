"""A model directory with no weights: a tiny Llama config, a byte-level BPE tokenizer trained in
a second, and a chat template. Enough for a vLLM release to build its config, tokenizer and
serving classes; nothing here is ever run as a model."""

from __future__ import annotations

import json
from pathlib import Path

EOS = "<|endoftext|>"
SPECIAL = (EOS, "<|im_start|>", "<|im_end|>")
# Added but not special, as in Qwen and DeepSeek tokenizers: they survive detokenization with
# skip_special_tokens, and the reasoning and tool parsers look them up by id.
TAGS = ("<think>", "</think>", "<tool_call>", "</tool_call>")
VOCAB = 400
MARKER = "tokenizer-v1"  # bump when anything below changes: a cached directory is rebuilt

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% endif %}"
    "<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
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


def build(directory: Path) -> Path:
    """Create (or reuse) the model directory; return it."""
    if (directory / MARKER).exists():
        return directory
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB,
        special_tokens=list(SPECIAL),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(_corpus(), trainer)
    tokenizer.add_tokens(list(TAGS))
    tokenizer.save(str(directory / "tokenizer.json"))
    (directory / "config.json").write_text(json.dumps(CONFIG, indent=2))
    (directory / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "eos_token": EOS,
                "pad_token": EOS,
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
