// Certificates for a loopback cluster: one CA, a serving certificate for the
// API server, and client certificates whose subject carries the identity RBAC
// sees (system:masters for the admin, the well-known users for the components).
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ClientCert {
  readonly cert: string;
  readonly key: string;
}

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  readonly clients: Record<'admin' | 'controllerManager' | 'scheduler' | 'kwok' | 'csi', ClientCert>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function signedCert(dir: string, name: string, subject: string, extensions: string): ClientCert {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(['genrsa', '-out', `${name}.key`, '2048'], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      ext,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

const clientExt = 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

export function createPki(dir: string): Pki {
  openssl(['genrsa', '-out', 'ca.key', '2048'], dir);
  openssl(
    ['req', '-x509', '-new', '-key', 'ca.key', '-days', '30', '-subj', '/CN=svo-test-ca', '-out', 'ca.crt'],
    dir,
  );
  const serving = signedCert(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' +
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n',
  );
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  writeFileSync(saKey, privateKey.export({ type: 'pkcs1', format: 'pem' }));
  writeFileSync(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: serving.cert,
    servingKey: serving.key,
    serviceAccountKey: saKey,
    serviceAccountPub: saPub,
    clients: {
      admin: signedCert(dir, 'admin', '/O=system:masters/CN=svo-admin', clientExt),
      controllerManager: signedCert(dir, 'kcm', '/CN=system:kube-controller-manager', clientExt),
      scheduler: signedCert(dir, 'scheduler', '/CN=system:kube-scheduler', clientExt),
      // KWOK plays every kubelet; system:masters spares us a hand-written role for it.
      kwok: signedCert(dir, 'kwok', '/O=system:masters/CN=kwok', clientExt),
      csi: signedCert(dir, 'csi', '/O=system:masters/CN=svo-csi', clientExt),
    },
  };
}

export function pkiOf(runDir: string): Pki {
  // The file layout is fixed by createPki; rebuilding the record avoids storing it twice.
  const dir = join(runDir, 'pki');
  const client = (n: string): { cert: string; key: string } => ({
    cert: join(dir, `${n}.crt`),
    key: join(dir, `${n}.key`),
  });
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    clients: {
      admin: client('admin'),
      controllerManager: client('kcm'),
      scheduler: client('scheduler'),
      kwok: client('kwok'),
      csi: client('csi'),
    },
  };
}
