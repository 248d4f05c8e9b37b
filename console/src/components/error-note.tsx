/** An error in the server's words, announced to screen readers. */
export function ErrorNote({ message, id }: { message: string | null; id?: string }) {
  if (message === null) return null;
  return (
    <p class="error" role="alert" id={id}>
      {message}
    </p>
  );
}
