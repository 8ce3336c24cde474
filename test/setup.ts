import { vi } from 'vitest';

// Tests assert on results, not on log lines: keep the console quiet unless a test is debugged.
if (!process.env.SEISMO_TEST_VERBOSE) {
  for (const method of ['log', 'info', 'debug', 'warn'] as const) {
    vi.spyOn(console, method).mockImplementation(() => {});
  }
}
