/**
 * A stand-in browser for headless OAuth tests (`BROWSER=… follow_redirects.ts`):
 * GETs the URL and follows redirects, which brings the authorization code to
 * mcpchat's loopback listener, as a person's browser would.
 *
 * @module
 */

export {};

const url = Deno.args.at(-1);
if (url) {
  const response = await fetch(url, { redirect: "follow" }).catch(() => undefined);
  await response?.body?.cancel();
}
