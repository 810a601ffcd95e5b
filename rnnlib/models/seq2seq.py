"""Sequence to sequence with attention: a GRU encoder (optionally bidirectional, over padded
batches) and a GRU decoder with additive (Bahdanau) attention, trained by teacher forcing.

Additive attention is chosen because the decoder state (H) and the encoder outputs
(dirs * H, 2H when bidirectional) differ in size; a dot product would need them equal.

    enc_out, h_enc = GRU_enc(E_src[src], lengths)            (S, N, dirs*H), (dirs, N, H)
    h_0 = tanh(W_b [h_enc forward; h_enc backward] + b_b)     (N, H) the bridge
    h_t = GRUCell(E_tgt[y_{t-1}], h_{t-1})                    (N, H)
    c_t, a_t = additive_attention(h_t, enc_out, enc_out, src_mask)   (N, dirs*H), (N, S)
    logits_t = W_o [h_t; c_t] + b_o                           (N, V_tgt)
    loss = mean over unmasked target positions of -log softmax(logits_t)[y_t]

Shapes are time-major: src (S, N) ints, lengths (N,), tgt_in and tgt_out (T, N) ints
(tgt_in = BOS + y, tgt_out = y + EOS), tgt_mask (T, N) 0/1.
numpy arrays or torch tensors (``model.to("cuda")``, token ids as torch int64 tensors).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import functional as F
from .._backend import namespace, to_numpy
from ..init import uniform_default
from ..layers.module import Module
from ..layers.recurrent import GRU


class EncoderCache(NamedTuple):
    src_embedding: object  # F.embedding_forward's cache
    bridge: object  # F.LinearCache
    h0: object  # (N, H) the decoder's first state, tanh of the bridge


class DecoderStepCache(NamedTuple):
    tgt_embedding: object
    cell: object  # F.GRUCellCache
    attention: object  # F.AdditiveAttentionCache
    out: object  # F.LinearCache


class Seq2SeqCache(NamedTuple):
    encoder: EncoderCache
    steps: list  # a DecoderStepCache per target step
    loss: object  # the cross-entropy's cache
    keys_shape: tuple  # (N, S, dirs*H)


class Seq2Seq(Module):
    """Seq2Seq(src_vocab, tgt_vocab, emb_size, hidden_size, bidirectional=True,
    attn_size=None). ``loss(src, lengths, tgt_in, tgt_out, tgt_mask)`` -> scalar,
    ``backward()`` fills grads; ``greedy_decode`` and ``beam_search`` translate."""

    def __init__(
        self,
        src_vocab,
        tgt_vocab,
        emb_size,
        hidden_size,
        bidirectional=True,
        attn_size=None,
        *,
        dtype=np.float64,
        rng=None,
    ):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng()
        H, E, dirs = hidden_size, emb_size, 2 if bidirectional else 1
        A = attn_size or H
        self.hidden_size, self.dirs = H, dirs
        self.encoder = GRU(E, H, bidirectional=bidirectional, dtype=dtype, rng=rng)  # a child
        p = self.params  # its own entries below; the encoder's are "encoder.*" through the child
        p["src_embedding"] = (rng.standard_normal((src_vocab, E)) * 0.3).astype(dtype)
        p["tgt_embedding"] = (rng.standard_normal((tgt_vocab, E)) * 0.3).astype(dtype)
        p["bridge.weight"] = uniform_default((H, dirs * H), rng, dirs * H, dtype)
        p["bridge.bias"] = uniform_default((H,), rng, dirs * H, dtype)
        for name, shape in (("weight_ih", (3 * H, E)), ("weight_hh", (3 * H, H))):
            p["decoder." + name] = uniform_default(shape, rng, H, dtype)
        p["decoder.bias_ih"] = uniform_default((3 * H,), rng, H, dtype)
        p["decoder.bias_hh"] = uniform_default((3 * H,), rng, H, dtype)
        p["attn.W_q"] = uniform_default((A, H), rng, H, dtype)
        p["attn.W_k"] = uniform_default((A, dirs * H), rng, dirs * H, dtype)
        p["attn.v"] = uniform_default((A,), rng, A, dtype)
        p["out.weight"] = uniform_default((tgt_vocab, H + dirs * H), rng, H, dtype)
        p["out.bias"] = uniform_default((tgt_vocab,), rng, H, dtype)

    # -- pieces ----------------------------------------------------------------------------
    def _encode(self, src, lengths):
        p = self.params
        x, emb_cache = F.embedding_forward(src, p["src_embedding"])  # (S, N, E)
        enc_out, h_enc = self.encoder.forward(x, lengths=lengths)  # (S, N, dirs*H)
        ops = namespace(enc_out)
        h_cat = ops.concat(list(h_enc), axis=-1)  # (N, dirs*H)
        pre, bridge_cache = F.linear_forward(h_cat, p["bridge.weight"], p["bridge.bias"])
        h0 = ops.tanh(pre)
        S = src.shape[0]
        lens = to_numpy(lengths)
        mask = ops.astype(np.arange(S)[None, :] < lens[:, None], like=enc_out)  # (N, S)
        keys = enc_out.swapaxes(0, 1)  # (N, S, dirs*H)
        return keys, mask, h0, EncoderCache(emb_cache, bridge_cache, h0)

    def _decode_step(self, y_prev, h, keys, mask):
        p = self.params
        e, emb_cache = F.embedding_forward(y_prev, p["tgt_embedding"])  # (N, E)
        h, cell_cache = F.gru_cell_forward(
            e,
            h,
            p["decoder.weight_ih"],
            p["decoder.weight_hh"],
            p["decoder.bias_ih"],
            p["decoder.bias_hh"],
        )
        ctx, a, attn_cache = F.additive_attention_forward(
            h, keys, keys, p["attn.W_q"], p["attn.W_k"], p["attn.v"], mask
        )
        logits, out_cache = F.linear_forward(
            namespace(h).concat([h, ctx], axis=-1), p["out.weight"], p["out.bias"]
        )
        return logits, h, a, DecoderStepCache(emb_cache, cell_cache, attn_cache, out_cache)

    # -- training --------------------------------------------------------------------------
    def loss(self, src, lengths, tgt_in, tgt_out, tgt_mask=None):
        """Teacher forcing: the decoder reads the true previous token. -> scalar loss."""
        keys, mask, h, enc_cache = self._encode(src, lengths)
        logits, steps = [], []
        for t in range(tgt_in.shape[0]):
            lg, h, _, cache = self._decode_step(tgt_in[t], h, keys, mask)
            logits.append(lg)
            steps.append(cache)
        logits = namespace(h).stack(logits)  # (T, N, V)
        loss, ce_cache = F.softmax_cross_entropy_forward(logits, tgt_out, tgt_mask)
        self._cache = Seq2SeqCache(enc_cache, steps, ce_cache, tuple(keys.shape))
        return loss

    def backward(self, dloss=1.0):
        """Gradients of the last ``loss`` for every parameter (fills self.grads)."""
        enc_cache, steps, ce_cache, keys_shape = self._require_cache()
        p, H = self.params, self.hidden_size
        ops = namespace(p["out.weight"])
        like = p["out.weight"]
        dlogits = F.softmax_cross_entropy_backward(dloss, ce_cache)  # (T, N, V)
        g = {
            k: ops.zeros_like(v) for k, v in self._params.items()
        }  # its own; the encoder fills its
        dkeys = ops.zeros(tuple(keys_shape), like=like)
        dh = ops.zeros((keys_shape[0], H), like=like)
        for t in range(len(steps) - 1, -1, -1):
            emb_cache, cell_cache, attn_cache, out_cache = steps[t]
            dhc, dW, db = F.linear_backward(dlogits[t], out_cache)
            g["out.weight"] += dW
            g["out.bias"] += db
            dq, dk, dval, ga = F.additive_attention_backward(dhc[:, H:], attn_cache)
            dkeys += dk + dval
            for k in ("W_q", "W_k", "v"):
                g["attn." + k] += ga[k]
            de, dh, gc = F.gru_cell_backward(dh + dhc[:, :H] + dq, cell_cache)
            for k, v in gc.items():
                g["decoder." + k] += v
            g["tgt_embedding"] += F.embedding_backward(de, emb_cache)
        emb_cache, bridge_cache, h0 = enc_cache
        dh_cat, dW, db = F.linear_backward(dh * (1 - h0 * h0), bridge_cache)
        g["bridge.weight"] += dW
        g["bridge.bias"] += db
        dh_enc = ops.stack([dh_cat[:, d * H : (d + 1) * H] for d in range(self.dirs)])
        dx, _ = self.encoder.backward(dkeys.swapaxes(0, 1), dh_enc)  # dh_enc (dirs, N, H)
        g["src_embedding"] += F.embedding_backward(dx, emb_cache)
        self._grads = g  # self.grads: these and the encoder's, "encoder.*"

    # -- decoding --------------------------------------------------------------------------
    def greedy_decode(self, src, lengths, bos, eos, max_len):
        """The most likely token at each step. -> tokens (T', N), attention (T', N, S).
        A pending backward (after ``loss``) is left as it was."""
        with self.no_grad():
            return self._greedy_decode(src, lengths, bos, eos, max_len)

    def _greedy_decode(self, src, lengths, bos, eos, max_len):
        keys, mask, h, _ = self._encode(src, lengths)
        ops = namespace(keys)
        y = src[0] * 0 + bos  # (N,) ints of src's kind
        tokens, weights = [], []
        done = y != y
        for _ in range(max_len):
            logits, h, a, _ = self._decode_step(y, h, keys, mask)
            y = logits.argmax(-1)
            tokens.append(y)
            weights.append(a)
            done = done | (y == eos)
            if bool(done.all()):
                break
        return ops.stack(tokens), ops.stack(weights)

    def beam_search(self, src, lengths, bos, eos, max_len, beam_width=3):
        """Beam search for each sequence of the batch (one at a time): keep the beam_width
        prefixes of highest total log-probability. -> list of (tokens (T',), attention (T', S))
        for the best finished hypothesis of each sequence. A pending backward is left as it was."""
        with self.no_grad():
            return self._beam_search(src, lengths, bos, eos, max_len, beam_width)

    def _beam_search(self, src, lengths, bos, eos, max_len, beam_width):
        results = []
        for n in range(src.shape[1]):
            L = int(lengths[n])
            keys, mask, h, _ = self._encode(src[:L, n : n + 1], np.array([L]))
            beams = [(0.0, [bos], h, [])]  # (log-prob, tokens, state, attention rows)
            finished = []
            for _ in range(max_len):
                cands = []
                for score, toks, hb, att in beams:
                    y = src[:1, n] * 0 + toks[-1]  # (1,) of src's kind
                    logits, h2, a, _ = self._decode_step(y, hb, keys, mask)
                    logp = F.log_softmax(to_numpy(logits[0]))  # (V,)
                    for tok in np.argsort(-logp)[:beam_width]:
                        cands.append((score + logp[tok], toks + [int(tok)], h2, att + [a[0]]))
                cands.sort(key=lambda c: -c[0])
                beams = []
                for c in cands[:beam_width]:
                    (finished if c[1][-1] == eos else beams).append(c)
                if not beams:
                    break
            best = max(finished or beams, key=lambda c: c[0])
            results.append((np.array(best[1][1:]), np.stack([to_numpy(a) for a in best[3]])))
        return results
