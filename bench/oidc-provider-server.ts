// The baseline: node-oidc-provider configured for client credentials with opaque access tokens
// (its default format), in-memory storage (its default adapter, so not durable across restarts).
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 0);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{ client_id: 'bench', client_secret: 'bench-secret-0123456789abcdef0123456789', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post', scope: 'api' }],
  scopes: ['api'],
  features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
});
const server = provider.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`LISTENING ${typeof address === 'object' && address ? address.port : port}`);
});
