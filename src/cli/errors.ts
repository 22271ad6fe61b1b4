// Errors meant for the person at the terminal: main.ts prints "selfimprove: <message>" and exits with
// exitCode instead of dumping a stack trace.

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}
