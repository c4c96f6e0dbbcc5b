/** The error `fn` throws, checked to be a `kind`; the test fails when it throws nothing or something else. */
export function thrownBy<E extends Error>(fn: () => unknown, kind: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(kind);
    return err as E;
  }
  throw new Error(`expected ${kind.name}, nothing was thrown`);
}
