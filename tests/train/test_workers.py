"""``run_jobs``: results in job order whatever the submission order, errors re-raised, same as serial."""

import operator

import pytest

from attnzoo.train import run_jobs


def test_results_come_back_in_job_order_from_spawned_processes():
    jobs = [(2, k) for k in range(6)]
    serial = run_jobs(operator.pow, jobs, workers=1)
    assert serial == [1, 2, 4, 8, 16, 32]
    # the cost guess submits the largest exponent first; the results still follow the jobs
    assert run_jobs(operator.pow, jobs, workers=2, cost=lambda job: job[1]) == serial


def test_a_failing_job_raises_in_the_caller():
    with pytest.raises(ZeroDivisionError):
        run_jobs(operator.truediv, [(1, 1), (1, 0)], workers=2)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_positive_int(workers):
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        run_jobs(operator.pow, [(2, 1)], workers=workers)
