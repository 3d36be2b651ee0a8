"""Our copy of a LiteLLM key's tokens window, so a call is sent only when LiteLLM will admit it.

LiteLLM's per-key TPM limit (parallel_request_limiter_v3, counted in the proxy's memory) works
so, read from its source (litellm 1.108.7) and seen in its headers:

* a window opens with the first call after the last window expired and lasts 60 whole seconds
  (``int(now) - start >= 60`` ends it, so 59 to 60 s after its first call);
* a call is admitted if its booking, prompt characters / 4 plus ``max_tokens``, fits in what
  the window has left, and is booked so while it runs;
* when it ends, the counter of whatever window is open then moves by usage - booking (a call
  that straddles two windows stays booked in full in the first and gives its refund to the
  second; a refund that lands while no window is open is lost);
* a refused call books nothing, and the refusal says ``Retry-After: 60`` however little of the
  window is left.

So a pace that fits the limit on average still gets refused near a window's end, where the
last call needs its whole booking free, and each refusal would idle a minute. Paceline is
usually the only client of its key, so it can keep the same count and hold a call that would
not fit until the next window opens. Where the two clocks may disagree (the whole seconds, the
time a call takes to arrive) the copy takes the side that sends later.
"""

from __future__ import annotations

# LiteLLM's window ends 59 to 60 s after its first call (whole seconds); a call's way to the
# proxy may take this much longer than another's.
TRANSIT_S = 0.25
REFUND_DELAY_S = 1.0  # a refund in the first second of a window may predate it: not counted


class LiteLLMWindow:
    def __init__(self, limit: float, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self.start: float | None = None  # when our call opened the current window
        self.booked = 0.0  # what LiteLLM's counter holds for that window, as far as we know

    def _age(self, now: float) -> float | None:
        return None if self.start is None else now - self.start

    def surely_open(self, now: float) -> bool:
        age = self._age(now)
        return age is not None and age < self.window_s - 1.0 - TRANSIT_S

    def surely_closed(self, now: float) -> bool:
        age = self._age(now)
        return age is None or age >= self.window_s + TRANSIT_S

    def next_window(self) -> float:
        """When a call surely opens a new window."""
        assert self.start is not None
        return self.start + self.window_s + TRANSIT_S

    def earliest(self, now: float, booking: float) -> float:
        """When a call booking ``booking`` tokens is surely admitted (``now`` if now)."""
        if self.surely_closed(now):
            return now
        # Near the end the call may still fall in this window: it must fit there too.
        if self.booked + booking <= self.limit:
            return now
        return self.next_window()

    def book(self, now: float, booking: float) -> float:
        """A call was sent; returns the start of the window it was booked in."""
        if self.surely_open(now):
            self.booked += booking
        else:
            # It may have opened a new window: counting it as the first of a new one keeps the
            # copy's window at least as full and at least as long as LiteLLM's.
            self.start, self.booked = now, float(booking)
        assert self.start is not None
        return self.start

    def settle(self, now: float, booked_in: float, booking: float, used: float) -> None:
        """A call booked in the window that started at ``booked_in`` ended having ``used``
        tokens (0 if it was refused or failed: nothing of it stays booked)."""
        if self.start is None or not self.surely_open(now):
            return  # lost, or unknowable: keeping the count higher only sends later
        if booked_in == self.start or now - self.start >= REFUND_DELAY_S:
            self.booked += used - booking

    def refused(self, now: float, remaining: float | None) -> None:
        """LiteLLM refused a call for tokens: its window is fuller than our count says (the key
        is shared, or a clock disagreed). ``remaining`` is what its message said was left."""
        if self.start is None or self.surely_closed(now):
            self.start = now  # its window started when we cannot tell: count a whole one
        left = remaining if remaining is not None else 0.0
        self.booked = max(self.booked, self.limit - left)
