// The in-memory serving certificate for /metrics: node parses it, it is signed
// by its own key, it names what it should, and a TLS client that pins it
// completes a handshake with a server that serves it.
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { selfSignedCertificate } from '../../../src/runtime/selfsigned.js';

const now = new Date('2026-12-07T12:00:00Z');
const made = selfSignedCertificate({ names: ['operator-7f9c', 'localhost', '127.0.0.1', '::1'], now });
const cert = new X509Certificate(made.cert);

test('node parses the certificate and its own public key verifies its signature', () => {
  assert.equal(cert.verify(cert.publicKey), true);
  assert.equal(cert.checkPrivateKey(createPrivateKey(made.key)), true);
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
});

test('a certificate signed by another key does not verify with this one', () => {
  const other = new X509Certificate(selfSignedCertificate({ names: ['x'] }).cert);
  assert.equal(cert.verify(other.publicKey), false);
});

test('the subject alternative names hold every DNS name and IP address given', () => {
  assert.equal(
    cert.subjectAltName,
    'DNS:operator-7f9c, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  );
  assert.equal(cert.checkHost('localhost'), 'localhost');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkHost('example.com'), undefined);
  assert.equal(cert.subject, 'CN=operator-7f9c');
  assert.equal(cert.issuer, cert.subject);
});

test('it is valid from an hour before it was made for a year, and is no CA', () => {
  assert.equal(new Date(cert.validFrom).toISOString(), '2026-12-07T11:00:00.000Z');
  assert.equal(new Date(cert.validTo).toISOString(), '2027-12-07T12:00:00.000Z');
  assert.equal(cert.ca, false);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
});

test('validity after 2049 is written as GeneralizedTime and still parses', () => {
  const late = new X509Certificate(
    selfSignedCertificate({ names: ['x'], now: new Date('2049-12-31T00:00:00Z'), validDays: 30 }).cert,
  );
  assert.equal(new Date(late.validTo).toISOString(), '2050-01-30T00:00:00.000Z');
});

test('two certificates made one after the other have different serial numbers and keys', () => {
  const again = new X509Certificate(selfSignedCertificate({ names: ['x'], now }).cert);
  assert.notEqual(again.serialNumber, cert.serialNumber);
  assert.notEqual(again.publicKey.export({ format: 'jwk' }).x, cert.publicKey.export({ format: 'jwk' }).x);
});

test('a TLS client that pins the certificate completes a handshake for localhost', async () => {
  const server = tls.createServer({ key: made.key, cert: made.cert }, (socket) => {
    socket.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: made.cert });
    const [data] = (await once(socket, 'data')) as [Buffer];
    assert.equal(data.toString(), 'ok');
    assert.equal(socket.authorized, true, String(socket.authorizationError));
    socket.destroy();
  } finally {
    server.close();
  }
});
