/** Placeholder shell: the portal's pages (sign-in with the operator token, overview, keys, ...) come later. */
export function App() {
  return (
    <main>
      <h1>Relayna Gateway admin</h1>
      <h2>Sign in</h2>
    </main>
  );
}
