// Runs s3rver in its own process (started with --openssl-legacy-provider: s3rver encrypts listing
// continuation tokens with DES, which OpenSSL 3 only offers through the legacy provider).
// Adds what s3rver lacks and the product relies on: conditional PUT with `If-None-Match: *` (412 when
// the key exists), serialized per key so that concurrent creators see exactly one winner.
const fs = require('node:fs');
const S3rver = require('s3rver');

const { directory, bucket } = JSON.parse(process.argv[2]);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
});

const keyLocks = new Map();
server.middleware.unshift(async (ctx, next) => {
  const conditional = ctx.method === 'PUT' && ctx.get('if-none-match') === '*';
  if (!conditional) return next();
  const [, reqBucket, ...rest] = decodeURIComponent(ctx.path).split('/');
  const key = rest.join('/');
  const lockId = `${reqBucket}/${key}`;
  const previous = keyLocks.get(lockId) ?? Promise.resolve();
  let release;
  const mine = new Promise((r) => (release = r));
  keyLocks.set(
    lockId,
    previous.then(() => mine),
  );
  await previous;
  try {
    const objectPath = server.store.getResourcePath(reqBucket, key, 'object');
    if (fs.existsSync(objectPath)) {
      ctx.status = 412;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
        '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
        `<Condition>If-None-Match</Condition><Key>${key}</Key></Error>`;
      return;
    }
    await next();
  } finally {
    release();
  }
});

server.run().then((address) => process.send({ port: address.port }));
process.on('message', async (msg) => {
  if (msg === 'stop') {
    await server.close();
    process.exit(0);
  }
});
