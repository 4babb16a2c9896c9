"""The checks of the python test scripts (tests/deploy, tests/docs): every check counts, a failed
one is kept with what it says, and finish() prints the failures and gives the exit status."""
import os
import sys


def repo_root(script):
    """The repository: the script's first argument, else two directories above the script."""
    return os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(script), "..", ".."))


class Checks:
    def __init__(self):
        self.failures = []
        self.passes = 0

    def __call__(self, cond, what):
        if cond:
            self.passes += 1
        else:
            self.failures.append(what)

    def finish(self):
        """Prints each failure and the counts; 1 when any check failed or none ran, else 0."""
        for f in self.failures:
            print("FAIL:", f)
        print(f"{self.passes} passed, {len(self.failures)} failed")
        return 1 if self.failures or self.passes == 0 else 0
