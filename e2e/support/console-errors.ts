// Collects the browser console errors and uncaught page errors of a page, so each test
// can fail on them. A test that provokes an error on purpose (a rejected request) lists
// the expected message first with `expect`.
import type { Page } from "@playwright/test";

export class ConsoleErrors {
  private readonly errors: string[] = [];
  private readonly allowed: RegExp[] = [];

  constructor(page: Page) {
    page.on("console", (message) => {
      if (message.type() === "error") this.record(`console: ${message.text()} (${message.location().url})`);
    });
    page.on("pageerror", (error) => this.record(`page error: ${error.message}`));
  }

  /** Allows one console error matching `pattern` (for a request the test expects to fail). */
  expect(pattern: RegExp): void {
    this.allowed.push(pattern);
  }

  /** Returns the unexpected errors recorded so far and clears them. */
  take(): string[] {
    const errors = this.errors.splice(0);
    return errors;
  }

  private record(text: string): void {
    const index = this.allowed.findIndex((pattern) => pattern.test(text));
    if (index >= 0) {
      this.allowed.splice(index, 1);
      return;
    }
    this.errors.push(text);
  }
}
