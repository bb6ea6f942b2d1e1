/** The prompt library, loaded only when a question is really asked (it costs ~40 ms to import). */
export type Prompts = typeof import('@inquirer/prompts');

export async function loadPrompts(): Promise<Prompts> {
  return import('@inquirer/prompts');
}

/** Ctrl-C in a prompt: exit 130 like any interrupted command, with one short line. */
export class PromptCancelled extends Error {
  readonly exitCode = 130;
  readonly code = 'cancelled';
  constructor() {
    super('cancelled');
    this.name = 'PromptCancelled';
  }
}

export function isPromptCancel(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'ExitPromptError' || name === 'AbortPromptError';
}

/** Runs a prompt; turns inquirer's cancel errors into PromptCancelled. */
export async function ask<T>(question: Promise<T>): Promise<T> {
  try {
    return await question;
  } catch (err) {
    if (isPromptCancel(err)) throw new PromptCancelled();
    throw err;
  }
}
