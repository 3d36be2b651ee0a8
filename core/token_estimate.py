"""How many tokens a request will cost, before it is sent.

A tokens-per-minute limit counts the prompt and the answer. The prompt can be estimated from
its characters; the answer cannot, so reserving the full output limit for every call (as a
cautious client does) wastes most of a token quota when answers are short. Here the expected
answer is the mean of the recent answers' reported lengths, and the characters-per-token ratio
is corrected with the prompt tokens the server reports. Whatever the estimate gets wrong, the
limiter is corrected afterwards with the usage the answer reports.
"""

from __future__ import annotations

from collections import deque

CHARS_PER_TOKEN = 3.0  # a cautious start over European and CJK text
SAMPLES = 20
# A LiteLLM proxy's TPM limiter books a call, while it runs, at its prompt characters / 4
# (DEFAULT_CHARS_PER_TOKEN in its parallel_request_limiter_v3) plus its max_tokens.
GATEWAY_CHARS_PER_TOKEN = 4


class TokenEstimate:
    def __init__(self, max_output_tokens: int = 1024) -> None:
        self.max_output_tokens = max(1, max_output_tokens)
        self.chars_per_token = CHARS_PER_TOKEN
        self._outputs: deque[int] = deque(maxlen=SAMPLES)

    def expected_output(self) -> int:
        if not self._outputs:
            # Nothing seen yet: half the limit, between "short summary" and "cut off".
            return self.max_output_tokens // 2
        return min(self.max_output_tokens, round(sum(self._outputs) / len(self._outputs)))

    def prompt_tokens(self, prompt_chars: int) -> int:
        return max(1, round(prompt_chars / self.chars_per_token))

    def cost(self, prompt_chars: int) -> int:
        """Tokens to reserve for a request carrying ``prompt_chars`` characters."""
        return self.prompt_tokens(prompt_chars) + self.expected_output()

    def gateway_booking(self, prompt_chars: int) -> int:
        """Tokens a LiteLLM proxy books for a call while it runs (prompt/4 + max_tokens)."""
        return prompt_chars // GATEWAY_CHARS_PER_TOKEN + self.max_output_tokens

    def learn(self, prompt_chars: int, prompt_tokens: int, completion_tokens: int) -> None:
        """What the server reported for one answer."""
        if completion_tokens > 0:
            self._outputs.append(completion_tokens)
        if prompt_tokens > 0 and prompt_chars > 0:
            observed = prompt_chars / prompt_tokens
            # Smoothed, and kept within sane bounds: a system prompt or an odd script must
            # not swing the next estimate by a factor of ten.
            ratio = 0.7 * self.chars_per_token + 0.3 * observed
            self.chars_per_token = min(8.0, max(0.5, ratio))
