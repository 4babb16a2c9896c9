#!/usr/bin/env node
// An independent check of a Sigstore bundle promote wrote: sigstore-js (@sigstore/verify)
// verifies its DSSE signature with the given public key, key-only (no transparency log, no
// timestamp: promote writes none), and this script checks what the in-toto statement is about.
//
//   node verify-bundle.js BUNDLE.json PUBLIC_KEY.pem sha256:<hex> PREDICATE_TYPE
//
// Prints one JSON line {"verified": true|false, ...}; exit 0 when verified, 1 when refused,
// 2 for bad usage.
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

function main(argv) {
  if (argv.length !== 4) {
    process.stderr.write('usage: verify-bundle.js BUNDLE.json PUBLIC_KEY.pem sha256:<hex> PREDICATE_TYPE\n');
    return 2;
  }
  const [bundlePath, keyPath, digest, predicateType] = argv;
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8'));
  // No Sigstore services to trust: only the key, valid whenever (the bundle carries no time).
  const emptyRoot = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] };
  const keyFinder = () => ({ publicKey, validFor: () => true });
  const verifier = new Verifier(toTrustMaterial(emptyRoot, keyFinder), {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  try {
    verifier.verify(toSignedEntity(bundle));
    if (bundle.content.$case !== 'dsseEnvelope') throw new Error('not a DSSE bundle');
    const statement = JSON.parse(bundle.content.dsseEnvelope.payload.toString('utf8'));
    if (statement.predicateType !== predicateType) {
      throw new Error(`predicateType ${statement.predicateType}, not ${predicateType}`);
    }
    const hex = digest.replace(/^sha256:/, '');
    if (!(statement.subject || []).some((s) => s.digest && s.digest.sha256 === hex)) {
      throw new Error(`no subject has digest ${digest}`);
    }
    process.stdout.write(JSON.stringify({ verified: true, predicateType: statement.predicateType }) + '\n');
    return 0;
  } catch (e) {
    process.stdout.write(JSON.stringify({ verified: false, reason: String(e.message || e) }) + '\n');
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
