/** The message of a thrown value: `Error.message` when it is one, its string form otherwise. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
