// A small MCP server (Streamable HTTP) behind Doorman. Its one tool, `whoami`, answers who is
// calling. Every request must carry a bearer token that Doorman's introspection says is live and
// bound to this server (`aud` equal to its URL); the server publishes RFC 9728 metadata that points
// MCP clients at Doorman, where they register (RFC 7591) or bring a metadata document, and sign in.
//
//   MCP_APP=mcp-app.json DOORMAN_URL=http://127.0.0.1:3000 npx tsx examples/mcp-server/server.ts
//
// MCP_APP is what `npm run cli -- apps:create … --resource-server --resource <MCP URL>` printed: its
// client_id and client_secret let this server introspect. MCP_URL (default http://127.0.0.1:3001/mcp)
// is the URL clients call, and must be the resource registered with that command.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express from 'express';

export interface McpExampleOptions {
  /** Doorman's ISSUER. */
  doorman: string;
  /** The URL MCP clients call: this server's resource URI, as registered with Doorman. */
  url: URL;
  /** The resource-server app's credentials, for introspection. */
  clientId: string;
  clientSecret: string;
}

export interface RunningMcpExample {
  url: URL;
  close(): Promise<void>;
}

/** RFC 7662's answer, as far as this server reads it. */
interface Introspection {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  exp?: number;
  aud?: string;
}

/** Asks Doorman whether a token is live, and what it is. */
function introspector(options: McpExampleOptions) {
  const endpoint = new URL('/oauth/introspect', options.doorman);
  const basic = Buffer.from(
    `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
  ).toString('base64');
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
      if (!res.ok) throw new ServerError(`introspection answered ${res.status}`);
      const answer = (await res.json()) as Introspection;
      if (!answer.active) throw new InvalidTokenError('The token is not live');
      // exactly this server's resource: not none, not another, not one differing by a trailing slash
      if (answer.aud !== options.url.href) throw new InvalidTokenError('The token was not issued for this server');
      return {
        token,
        clientId: answer.client_id ?? '',
        scopes: answer.scope ? answer.scope.split(' ') : [],
        ...(answer.exp === undefined ? {} : { expiresAt: answer.exp }),
        resource: new URL(answer.aud),
        extra: { username: answer.username },
      };
    },
  };
}

/** The MCP server of one request: stateless, so any number of clients and processes can serve. */
function mcpServer(): McpServer {
  const server = new McpServer({ name: 'doorman-example', version: '1.0.0' });
  server.registerTool(
    'whoami',
    { description: 'Who is calling: the signed-in user, the client, and the scopes granted.' },
    async ({ authInfo }) => {
      const username = authInfo?.extra?.username;
      const who = typeof username === 'string' ? `@${username}` : 'no user (an app token)';
      return {
        content: [
          { type: 'text', text: `${who} via ${authInfo?.clientId}, scopes: ${authInfo?.scopes.join(' ') || 'none'}` },
        ],
        structuredContent: { username: username ?? null, client_id: authInfo?.clientId, scopes: authInfo?.scopes },
      };
    },
  );
  return server;
}

export async function startMcpExample(options: McpExampleOptions, port: number): Promise<RunningMcpExample> {
  const app = express();
  app.use(express.json());
  // RFC 9728: where clients learn that Doorman signs people in for this server. Only this document,
  // not a copy of Doorman's own metadata: nothing to fetch at start, so Doorman may start later.
  const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(options.url);
  app.use(
    new URL(resourceMetadataUrl).pathname,
    metadataHandler({
      resource: options.url.href,
      authorization_servers: [new URL(options.doorman).href.replace(/\/$/, '')],
      resource_name: 'Doorman example',
    }),
  );
  const bearer = requireBearerAuth({
    verifier: introspector(options),
    expectedResource: options.url,
    resourceMetadataUrl,
  });
  app.post(options.url.pathname, bearer, async (req, res) => {
    const server = mcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  // stateless: no server-sent stream to resume and no session to end
  app.all(options.url.pathname, bearer, (_req, res) => {
    res.status(405).set('Allow', 'POST').json({ error: 'method_not_allowed' });
  });

  const listening: Server = await new Promise((resolve) => {
    const server = app.listen(port, options.url.hostname.replace(/^\[|\]$/g, ''), () => resolve(server));
  });
  const bound = (listening.address() as AddressInfo).port;
  return {
    url: new URL(`${options.url.protocol}//${options.url.hostname}:${bound}${options.url.pathname}`),
    close: () =>
      new Promise<void>((resolve) => {
        listening.closeAllConnections();
        listening.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const appFile = process.env.MCP_APP ?? 'mcp-app.json';
  let app: Record<string, string>;
  try {
    app = JSON.parse(readFileSync(appFile, 'utf8'));
  } catch (err) {
    console.error(
      `Cannot read the MCP server's app from ${appFile} (${(err as Error).message}). Create it with: ` +
        'npm run --silent cli -- apps:create --name "MCP example" --redirect-uri urn:ietf:wg:oauth:2.0:oob ' +
        '--resource-server --resource http://127.0.0.1:3001/mcp > mcp-app.json',
    );
    process.exit(1);
  }
  const { client_id, client_secret } = app;
  const url = new URL(process.env.MCP_URL ?? 'http://127.0.0.1:3001/mcp');
  const doorman = process.env.DOORMAN_URL ?? 'http://127.0.0.1:3000';
  const running = await startMcpExample(
    { doorman, url, clientId: client_id!, clientSecret: client_secret! },
    Number(url.port || 80),
  );
  console.log(`MCP server at ${running.url.href}, signing in through ${doorman}`);
}
