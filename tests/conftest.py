"""Suite-wide test settings: a fixed-seed, bounded hypothesis profile (HYPOTHESIS_PROFILE picks another)."""

import os

from hypothesis import HealthCheck, settings

# derandomize: the same examples on every run and machine, so a property test cannot fail by chance in CI
settings.register_profile(
    "attnzoo-ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=30,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "attnzoo-deep", parent=settings.get_profile("attnzoo-ci"), derandomize=False, max_examples=2000
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "attnzoo-ci"))
