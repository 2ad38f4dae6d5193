// Request bodies built by hand, so tests control exactly what goes over the wire.

/** An urlencoded body from [key, value] pairs (keys may repeat, or end in `[]`). */
export function formBody(pairs: [string, string][]): { payload: string; headers: Record<string, string> } {
  return {
    payload: new URLSearchParams(pairs).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

/** A multipart/form-data body from [name, value] pairs, as `curl -F` sends it. */
export function multipartBody(pairs: [string, string][]): { payload: string; headers: Record<string, string> } {
  const boundary = '----doormanTestBoundary7MA4YWxkTrZu0gW';
  const parts = pairs.map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return {
    payload: `${parts.join('')}--${boundary}--\r\n`,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** HTTP Basic credentials (RFC 6749 §2.3.1: each part form-urlencoded first). */
export function basicAuth(clientId: string, clientSecret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
}
