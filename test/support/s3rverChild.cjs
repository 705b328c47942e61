// Runs s3rver in its own process (started with --openssl-legacy-provider: s3rver encrypts listing
// continuation tokens with DES, which OpenSSL 3 only offers through the legacy provider).
// Adds what s3rver lacks and the product relies on, as S3 answers them: conditional PUT with
// `If-None-Match: *` (412 when the key exists) and with `If-Match: <ETag>` (412 when the object's ETag
// differs, 404 NoSuchKey when it does not exist), serialized per key so that concurrent conditional
// writers see exactly one winner.
const { createHash } = require('node:crypto');
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

/** The ETag s3rver serves for an object (its MD5, quoted), or undefined when the object does not exist. */
function currentEtag(reqBucket, key) {
  const objectPath = server.store.getResourcePath(reqBucket, key, 'object');
  if (!fs.existsSync(objectPath)) return undefined;
  const md5Path = server.store.getResourcePath(reqBucket, key, 'object.md5');
  const md5 = fs.existsSync(md5Path)
    ? fs.readFileSync(md5Path, 'utf8')
    : createHash('md5').update(fs.readFileSync(objectPath)).digest('hex');
  return JSON.stringify(md5);
}

const errorBody = (code, message, condition, key) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message>` +
  `${condition ? `<Condition>${condition}</Condition>` : ''}<Key>${key}</Key></Error>`;

const keyLocks = new Map();
server.middleware.unshift(async (ctx, next) => {
  const ifNoneMatch = ctx.method === 'PUT' && ctx.get('if-none-match') === '*';
  const ifMatch = ctx.method === 'PUT' ? ctx.get('if-match') : '';
  if (!ifNoneMatch && !ifMatch) return next();
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
    const etag = currentEtag(reqBucket, key);
    const failed = 'At least one of the pre-conditions you specified did not hold';
    if (ifNoneMatch && etag !== undefined) {
      ctx.status = 412;
      ctx.type = 'application/xml';
      ctx.body = errorBody('PreconditionFailed', failed, 'If-None-Match', key);
      return;
    }
    if (ifMatch && etag === undefined) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = errorBody('NoSuchKey', 'The specified key does not exist.', '', key);
      return;
    }
    if (ifMatch && ifMatch !== '*' && ifMatch !== etag) {
      ctx.status = 412;
      ctx.type = 'application/xml';
      ctx.body = errorBody('PreconditionFailed', failed, 'If-Match', key);
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
