"""A cheap Argon2id for tests: the same algorithm and hash format as production, with a
small memory and time cost, so hundreds of sign-ins do not dominate the suite's run time.
The production parameters are checked by tests/accounts/test_passwords.py."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 256
    parallelism = 1
