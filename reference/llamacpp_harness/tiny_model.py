"""Write a tiny llama-architecture GGUF with random weights and a few-word vocabulary, so a
CPU build of llama-server loads it in a blink and answers deterministically (greedy).

Needs the ``gguf`` and ``numpy`` packages (not project dependencies)::

    python -m reference.llamacpp_harness.tiny_model OUT.gguf

Every generated token is one of WORDS: the output rows of the special and byte tokens are
zero, so a word's random logit wins under greedy sampling. A word piece is "▁word", which
decodes to " word", as the fake's tokenizer splits " alpha beta" into [" alpha", " beta"].
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

WORDS = (
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
    "hello",
    "world",
    "say",
    "the",
    "a",
    "of",
    "to",
    "user",
    "assistant",
)
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)
N_EMBD, N_HEAD, N_FF, N_CTX, SEED = 64, 4, 128, 512, 1234


def vocabulary() -> tuple[list[str], list[float], list[int]]:
    import gguf

    kinds = gguf.TokenType
    tokens = ["<unk>", "<s>", "</s>"]
    types = [kinds.UNKNOWN, kinds.CONTROL, kinds.CONTROL]
    tokens += [f"<0x{byte:02X}>" for byte in range(256)]
    types += [kinds.BYTE] * 256
    tokens += ["\u2581" + word for word in WORDS] + ["\u2581"]
    types += [kinds.NORMAL] * (len(WORDS) + 1)
    scores = [0.0] * 259 + [-float(i) for i in range(len(WORDS) + 1)]
    return tokens, scores, [int(kind) for kind in types]


def write(path: Path) -> None:
    import gguf
    import numpy as np

    tokens, scores, types = vocabulary()
    n_vocab = len(tokens)
    rng = np.random.default_rng(SEED)

    def weights(*shape: int, scale: float = 0.2) -> Any:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("llm-fakes tiny")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(1)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)
    output = weights(n_vocab, N_EMBD, scale=1.0)
    output[:259] = 0.0  # special and byte tokens never win a greedy pick
    writer.add_tensor("token_embd.weight", weights(n_vocab, N_EMBD, scale=1.0))
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor("output.weight", output)
    for name, tensor in (
        ("attn_norm.weight", np.ones(N_EMBD, dtype=np.float32)),
        ("attn_q.weight", weights(N_EMBD, N_EMBD)),
        ("attn_k.weight", weights(N_EMBD, N_EMBD)),
        ("attn_v.weight", weights(N_EMBD, N_EMBD)),
        ("attn_output.weight", weights(N_EMBD, N_EMBD)),
        ("ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32)),
        ("ffn_gate.weight", weights(N_FF, N_EMBD)),
        ("ffn_up.weight", weights(N_FF, N_EMBD)),
        ("ffn_down.weight", weights(N_EMBD, N_FF)),
    ):
        writer.add_tensor(f"blk.0.{name}", tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    write(Path(sys.argv[1]))
