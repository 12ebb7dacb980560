/** A throwaway CA and a `localhost` server certificate for the simulated hub's TLS listener. */
import { webcrypto, KeyObject, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface HubCertificates {
  caPem: string;
  caFile: string;
  certPem: string;
  keyPem: string;
}

const CA_FILE = 'ca.pem';
const CA_KEY_FILE = 'ca-key.pem';
const CERT_FILE = 'server-cert.pem';
const KEY_FILE = 'server-key.pem';

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Loaded on first use: its dependency tsyringe needs the Reflect metadata polyfill loaded first. */
async function loadX509(): Promise<typeof import('@peculiar/x509')> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  // @peculiar/x509 needs a WebCrypto provider; Node's is complete for ECDSA.
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  return x509;
}

/** Loads the certificates from `dir` when all are there and still valid; otherwise generates and writes new ones. */
export async function loadOrCreateCertificates(dir: string): Promise<HubCertificates> {
  const loaded = await loadCertificates(dir);
  if (loaded) return loaded;
  const created = await createCertificates();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, CA_FILE), created.caPem);
  await writeFile(join(dir, CA_KEY_FILE), created.caKeyPem, { mode: 0o600 });
  await writeFile(join(dir, CERT_FILE), created.certPem);
  await writeFile(join(dir, KEY_FILE), created.keyPem, { mode: 0o600 });
  return { caPem: created.caPem, caFile: join(dir, CA_FILE), certPem: created.certPem, keyPem: created.keyPem };
}

async function loadCertificates(dir: string): Promise<HubCertificates | undefined> {
  try {
    const [caPem, certPem, keyPem] = await Promise.all(
      [CA_FILE, CERT_FILE, KEY_FILE].map((f) => readFile(join(dir, f), 'utf8')),
    ) as [string, string, string];
    const cert = new NodeX509(certPem);
    const ca = new NodeX509(caPem);
    // A stale or foreign pair would fail every client handshake, so regenerate instead.
    if (Date.parse(cert.validTo) < Date.now() + DAY_MS || !cert.verify(ca.publicKey)) return undefined;
    return { caPem, caFile: join(dir, CA_FILE), certPem, keyPem };
  } catch {
    return undefined;
  }
}

interface CreatedCertificates {
  caPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
}

async function createCertificates(): Promise<CreatedCertificates> {
  const x509 = await loadX509();
  const subtle = webcrypto.subtle;
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + 365 * DAY_MS);
  const caKeys = (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=iot-micro-agent sim-hub CA',
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const server = await x509.X509CertificateGenerator.create({
    subject: 'CN=localhost',
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
    ],
  });
  return {
    caPem: ca.toString('pem') + '\n',
    caKeyPem: privateKeyPem(caKeys.privateKey),
    certPem: server.toString('pem') + '\n',
    keyPem: privateKeyPem(serverKeys.privateKey),
  };
}

function privateKeyPem(key: CryptoKey): string {
  return KeyObject.from(key as webcrypto.CryptoKey).export({ type: 'pkcs8', format: 'pem' }).toString();
}
