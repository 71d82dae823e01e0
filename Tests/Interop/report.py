"""The PASS/FAIL tally both interop scripts print and exit on."""


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def check(self, label, ok, detail=""):
        """Prints one PASS or FAIL line and counts it; returns `ok`."""
        if ok:
            self.passed += 1
            print(f"PASS  {label}" + (f" ({detail})" if detail else ""), flush=True)
        else:
            self.failed += 1
            self.failures.append(label)
            print(f"FAIL  {label}: {detail}", flush=True)
        return ok
