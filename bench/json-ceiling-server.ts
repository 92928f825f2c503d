/**
 * The ceiling for the data API benchmark: a bare node:http server that answers every request with
 * a fixed JSON body of the size given per path prefix (read from stdin as `size PREFIX BYTES`).
 */
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

const bodies = new Map<string, Buffer>();
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const prefix = [...bodies.keys()].find((p) => req.url!.startsWith(p)) ?? '';
    const body = bodies.get(prefix) ?? Buffer.from('{}');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 }));
});
for await (const line of createInterface({ input: process.stdin })) {
  const [command, prefix, text] = line.split('\t');
  if (command === 'size') {
    bodies.set(prefix!, Buffer.from(text!));
    console.log(JSON.stringify({ ok: true }));
  } else if (command === 'quit') break;
}
server.close();
process.exit(0);
