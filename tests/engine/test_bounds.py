"""Duration bounds hold for backwards offsets as for forward ones."""
from app.engine.bounds import duration_problem


def test_backwards_offset_beyond_the_limit_is_refused_like_its_forward_twin():
    assert duration_problem("P1000Y") and duration_problem("-P1000Y")
    assert duration_problem("-P3M") is None
