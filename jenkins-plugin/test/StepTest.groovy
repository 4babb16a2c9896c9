// Tests of the promoteImage step (vars/promoteImage.groovy) in one Groovy process.
//   groovy -cp src:test/stubs:test test/StepTest.groovy PLUGIN_DIR WORK_DIR
// Unit cases run the step in a FakePipeline whose sh really runs /bin/sh, with test/fake-promote
// standing in for the CLI. When PROMOTE_E2E_BINARY is set (test/run-tests.sh sets it up), the
// end-to-end cases run the real CLI against the loopback registries it started.
// Prints one line per case; exits 1 when any case fails.

import groovy.json.JsonOutput
import org.codehaus.groovy.control.CompilerConfiguration

pluginDir = new File(args[0]).canonicalFile
workDir = new File(args[1]).canonicalFile
SHA = '2b2e927abcdef0123456789abcdef01234567890'
DIGEST = 'sha256:' + 'ab' * 32
KEY_PEM = '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nZmFrZSBrZXkgbWF0ZXJpYWw=\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n'
PROD_PASSWORD = 'prod-pa$$w0rd;$(touch pwned-by-password)\'"'
STAGE_PASSWORD = 'stage-secret-7f3a'
KEY_PASSWORD = 'key-passphrase with spaces & $HOME'
AGENT_TOKEN = 'agent-token-5d1e9c0b7a'
VALID = ['to', 'sha', 'from', 'branch', 'config', 'dryRun', 'breakGlass', 'author', 'agent', 'agentTokenId', 'agentCaId', 'credentialsId', 'signingKeyId',
         'signingPasswordId', 'promoteBinary', 'failOnError', 'setDescription']
// The earlier names of the id parameters, still accepted.
ALIASES = ['credentials', 'signingKey', 'signingPassword']

CompilerConfiguration compiler = new CompilerConfiguration()
compiler.scriptBaseClass = 'FakePipelineScript'
GroovyShell shell = new GroovyShell(this.class.classLoader, new Binding(), compiler)
stepClass = shell.parse(new File(pluginDir, 'vars/promoteImage.groovy')).getClass()

// A directory holding `promote` -> test/fake-promote, put first on PATH for unit cases.
fakeBin = new File(workDir, 'fake-bin')
fakeBin.mkdirs()
['ln', '-sf', new File(pluginDir, 'test/fake-promote').path, new File(fakeBin, 'promote').path].execute().waitFor()

cases = []
caseNumber = 0

def test(String name, Closure body) { cases << [name: name, body: body] }

/** A run result as promote prints it (docs/result-json.md), with `overrides` merged on top. */
Map runJson(Map overrides = [:]) {
  Map j = [schema: 1, command: 'run', ok: true, error: null, status: 'promoted', dry_run: false, sha: SHA,
           branch: 'release/v1.2.0',
           from: [env: 'dev', reference: 'dev.registry:5000/shop/payment-svc:sha-2b2e927', tag: 'sha-2b2e927'],
           to: [env: 'stage', reference: "stage.registry:5000/shop/payment-svc@${DIGEST}".toString()],
           digest: DIGEST, platforms: ['linux/amd64', 'linux/arm64'],
           tags: [written: ['sha-2b2e927', 'v1.2.0'], moved: ['stage'], unchanged: [], refused: []],
           blobs: [copied: 6, mounted: 0, skipped: 2], bytes: [copied: 25165824, mounted: 0, skipped: 1024],
           gates: [[name: 'branch', verdict: 'passed', detail: 'release/* may promote to stage'],
                   [name: 'stage-order', verdict: 'passed', detail: 'promoted to dev by run 41']],
           signature: null, record: [reference: 'stage.registry:5000/shop/payment-svc:sha256-abab.att'],
           timings_ms: [total: 1530]]
  j.putAll(overrides)
  return j
}

// The category promote gives each code (agent/util/status.cc, CategoryName).
CATEGORIES = [invalid_argument: 'bad_input', gate_refused: 'gate_refused', conflict: 'gate_refused',
              unauthenticated: 'auth', unavailable: 'registry', internal: 'internal']

Map failureJson(int exitCode, String code, String message, Map overrides = [:]) {
  return runJson([ok: false, status: exitCode == 3 ? 'refused' : 'failed',
                  error: [code: code, category: CATEGORIES[code], exit_code: exitCode, message: message]] + overrides)
}

/**
 * Runs promoteImage(stepArgs) in a fresh FakePipeline. opts: env (replaces the default Jenkins env),
 * stdout (a Map printed as JSON by the fake CLI, or a String), exit (its exit code), setup (closure
 * given the pipeline). Returns [pipeline, result, failure, argv (what the CLI got, or null), cliEnv].
 */
Map runStep(Map stepArgs, Map opts = [:]) {
  File ws = new File(workDir, "case-${++caseNumber}")
  FakePipeline p = new FakePipeline(ws)
  p.env.putAll(opts.containsKey('env') ? opts.env : [GIT_COMMIT: SHA, BRANCH_NAME: 'develop'])
  p.env.PATH = fakeBin.path + ':' + System.getenv('PATH')
  File record = new File(ws.path + '@tmp', 'fake')
  record.parentFile.mkdirs()
  p.env.FAKE_PROMOTE_RECORD = record.path
  Object stdout = opts.containsKey('stdout') ? opts.stdout : runJson()
  if (stdout != null) {
    File out = new File(ws.path + '@tmp', 'stdout.json')
    out.text = stdout instanceof Map ? JsonOutput.toJson(stdout) : stdout.toString()
    p.env.FAKE_PROMOTE_STDOUT = out.path
  }
  p.env.FAKE_PROMOTE_EXIT = String.valueOf(opts.exit ?: 0)
  p.addUsernamePassword('prod-registry', 'ci-bot', PROD_PASSWORD)
  p.addUsernamePassword('stage-registry', 'stage-bot', STAGE_PASSWORD)
  p.addFile('cosign-key', 'cosign.key', KEY_PEM)
  p.addString('cosign-password', KEY_PASSWORD)
  p.addString('agent-token', AGENT_TOKEN)
  p.addFile('agent-ca', 'agent-ca.pem', '-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n')
  if (opts.setup) opts.setup.call(p)
  return invoke(p, stepArgs, record)
}

Map invoke(FakePipeline p, Map stepArgs, File record = null) {
  Script script = (Script) stepClass.newInstance()
  script.binding = new Binding(pipeline: p, env: p.env, currentBuild: p.currentBuild)
  Object result = null
  StepFailure failure = null
  try {
    result = script.invokeMethod('call', [stepArgs] as Object[])
  } catch (StepFailure f) {
    failure = f
  }
  Map r = [pipeline: p, result: result, failure: failure, argv: null, cliEnv: null, key: null]
  if (record != null && new File(record.path + '.args').exists()) {
    String raw = new File(record.path + '.args').text
    r.argv = raw.isEmpty() ? [] : raw.split('\u0000', -1).toList().dropRight(1)
    r.cliEnv = [:]
    new File(record.path + '.env').text.split('\u0000').each { String kv ->
      int eq = kv.indexOf('=')
      if (eq > 0) r.cliEnv[kv.substring(0, eq)] = kv.substring(eq + 1)
    }
    File key = new File(record.path + '.key')
    r.key = key.exists() ? key.text : null
  }
  return r
}

List<String> baseArgv(List<String> rest) { ['-o', 'json', 'run', '--config', 'promote.yaml'] + rest }

/** No secret of the store appears anywhere the step writes: scripts, argv, withEnv, log, description, result. */
void assertNoSecretLeaks(Map r) {
  FakePipeline p = r.pipeline
  List<String> places = []
  p.callsOf('sh').each { places << it.script.toString() }
  p.callsOf('withEnv').each { places << it.vars.join('\n') }
  places.addAll(p.console)
  places << String.valueOf(p.currentBuild.description)
  places << String.valueOf(r.result)
  places << String.valueOf(r.failure?.message)
  if (r.argv != null) places << r.argv.join(' ')
  for (String secret : p.secrets) {
    for (String place : places) {
      assert !place.contains(secret): "secret leaked into: ${place}"
    }
  }
}

void assertNoShellRun(Map r) {
  assert r.pipeline.callsOf('sh').isEmpty()
  assert r.pipeline.callsOf('withCredentials').isEmpty()
  assert r.argv == null
}

// ------------------------------------------------------------------------------------------------
// Argument vector, environment and credentials

test('minimal call: exact argv from to, GIT_COMMIT and BRANCH_NAME; constant script; no credentials') {
  Map r = runStep([to: 'stage'])
  assert r.failure == null
  assert r.argv == baseArgv(['--to', 'stage', '--sha', SHA, '--branch', 'develop'])
  Map sh = r.pipeline.callsOf('sh')[0]
  assert sh.script == '"$PROMOTE_STEP_BINARY" -o json run --config "$PROMOTE_STEP_CONFIG" --to "$PROMOTE_STEP_TO" ' +
      '--sha "$PROMOTE_STEP_SHA" --branch "$PROMOTE_STEP_BRANCH" >"$PROMOTE_STEP_RESULT"'
  assert sh.returnStatus == true
  assert sh.label == 'promote run --to stage'
  assert r.pipeline.callsOf('withEnv')[0].vars == ['PROMOTE_STEP_BINARY=promote', 'PROMOTE_STEP_CONFIG=promote.yaml',
                                                    'PROMOTE_STEP_RESULT=promote-result-stage.json', 'PROMOTE_STEP_TO=stage',
                                                    "PROMOTE_STEP_SHA=${SHA}".toString(), 'PROMOTE_STEP_BRANCH=develop']
  assert r.pipeline.callsOf('withCredentials').isEmpty()
  assert !r.cliEnv.containsKey('PROMOTE_AGENT')
  assert r.pipeline.calls*.step == ['withEnv', 'sh', 'fileExists', 'readFile', 'archiveArtifacts', 'echo']
}

test('every parameter: exact argv, withEnv values, credential bindings and the CLI environment') {
  Map r = runStep([to: 'prod', from: 'stage', sha: '2B2E927', branch: 'hotfix/v1.2.1', config: 'deploy/promote.yaml',
                   dryRun: true, agent: 'promote-agent.ci.svc:7443',
                   credentials: [stage: 'stage-registry', prod: 'prod-registry'],
                   signingKey: 'cosign-key', signingPassword: 'cosign-password',
                   promoteBinary: new File(pluginDir, 'test/fake-promote').path],
                  [stdout: runJson(status: 'planned', dry_run: true, to: [env: 'prod', reference: 'prod.registry:5000/shop/payment-svc'])])
  assert r.failure == null
  assert r.argv == ['-o', 'json', 'run', '--config', 'deploy/promote.yaml', '--to', 'prod', '--from', 'stage',
                    '--sha', '2B2E927', '--branch', 'hotfix/v1.2.1', '--dry-run']
  assert r.pipeline.callsOf('withCredentials')[0].bindings == [
      [kind: 'usernamePassword', credentialsId: 'stage-registry', usernameVariable: 'PROMOTE_STAGE_USERNAME',
       passwordVariable: 'PROMOTE_STAGE_PASSWORD'],
      [kind: 'usernamePassword', credentialsId: 'prod-registry', usernameVariable: 'PROMOTE_PROD_USERNAME',
       passwordVariable: 'PROMOTE_PROD_PASSWORD'],
      [kind: 'file', credentialsId: 'cosign-key', variable: 'PROMOTE_SIGNING_KEY'],
      [kind: 'string', credentialsId: 'cosign-password', variable: 'PROMOTE_KEY_PASSWORD']]
  assert r.pipeline.callsOf('usernamePassword')*.credentialsId == ['stage-registry', 'prod-registry']
  assert r.pipeline.callsOf('file')*.credentialsId == ['cosign-key']
  assert r.pipeline.callsOf('string')*.credentialsId == ['cosign-password']
  assert r.cliEnv.PROMOTE_PROD_USERNAME == 'ci-bot'
  assert r.cliEnv.PROMOTE_PROD_PASSWORD == PROD_PASSWORD
  assert r.cliEnv.PROMOTE_STAGE_USERNAME == 'stage-bot'
  assert r.cliEnv.PROMOTE_STAGE_PASSWORD == STAGE_PASSWORD
  assert r.cliEnv.PROMOTE_KEY_PASSWORD == KEY_PASSWORD
  assert r.cliEnv.PROMOTE_AGENT == 'promote-agent.ci.svc:7443'
  assert r.key == KEY_PEM: 'PROMOTE_SIGNING_KEY names the secret file while promote runs'
  assert !new File(r.cliEnv.PROMOTE_SIGNING_KEY).exists(): 'the secret file is gone after the step'
  assert r.pipeline.callsOf('sh')[0].script.endsWith('--branch "$PROMOTE_STEP_BRANCH" --dry-run >"$PROMOTE_STEP_RESULT"')
  assertNoSecretLeaks(r)
}

test('secrets reach promote only as environment variables, never in the script, argv, log or result') {
  Map r = runStep([to: 'prod', credentials: [prod: 'prod-registry'], signingKey: 'cosign-key',
                   signingPassword: 'cosign-password'])
  assert r.failure == null
  Map sh = r.pipeline.callsOf('sh')[0]
  for (String secret : r.pipeline.secrets) {
    assert !sh.script.contains(secret)
    assert !r.argv.any { it.contains(secret) }
    assert !sh.stderr.contains(secret): 'sh -x traces the command but no secret is on it'
  }
  assert !new File(r.pipeline.workspace, 'pwned-by-password').exists()
  // The withCredentials block wraps only the sh call.
  assert r.pipeline.calls*.step == ['usernamePassword', 'file', 'string', 'withEnv', 'withCredentials', 'sh', 'fileExists',
                                    'readFile', 'archiveArtifacts', 'echo']
  assertNoSecretLeaks(r)
}

test('the script text is the same whatever the values: nothing is interpolated into it') {
  Map a = runStep([to: 'stage', sha: '2b2e927', branch: 'develop', config: 'a.yaml'])
  Map b = runStep([to: 'prod', sha: 'abcdef0123', branch: 'release/v9.9.9', config: 'other/b.yaml'])
  assert a.pipeline.callsOf('sh')[0].script == b.pipeline.callsOf('sh')[0].script
}

test('paths with spaces and shell syntax reach promote verbatim and run nothing') {
  String config = 'conf dir/$(touch pwned-by-config);`touch pwned2`.yaml'
  Map r = runStep([to: 'stage', config: config, promoteBinary: new File(pluginDir, 'test/fake-promote').path])
  assert r.failure == null
  assert r.argv[3..4] == ['--config', config]
  assert !new File(r.pipeline.workspace, 'pwned-by-config').exists()
  assert !new File(r.pipeline.workspace, 'pwned2').exists()
}

test('breakGlass and author reach promote as --break-glass and --author, verbatim, through the environment') {
  String reason = 'INC-4711: payments down; $(touch pwned-by-reason) `touch pwned3` "quoted" \'single\''
  Map r = runStep([to: 'prod', breakGlass: reason, author: 'alice'],
                  [stdout: runJson(to: [env: 'prod', reference: "prod.registry:5000/shop/payment-svc@${DIGEST}".toString()],
                                   gates: [[name: 'window', verdict: 'overridden', detail: 'BREAK-GLASS: frozen; overridden: INC-4711']],
                                   break_glass: [reason: reason])])
  assert r.failure == null
  assert r.argv == baseArgv(['--to', 'prod', '--sha', SHA, '--branch', 'develop', '--break-glass', reason, '--author', 'alice'])
  assert r.pipeline.callsOf('sh')[0].script.endsWith(
      '--break-glass "$PROMOTE_STEP_BREAK_GLASS" --author "$PROMOTE_STEP_AUTHOR" >"$PROMOTE_STEP_RESULT"')
  assert r.pipeline.callsOf('withEnv')[0].vars.containsAll(["PROMOTE_STEP_BREAK_GLASS=${reason}".toString(),
                                                             'PROMOTE_STEP_AUTHOR=alice'])
  assert !new File(r.pipeline.workspace, 'pwned-by-reason').exists()
  assert !new File(r.pipeline.workspace, 'pwned3').exists()
  assert r.result.breakGlass == reason
  assert r.result.gates == [[name: 'window', verdict: 'overridden', detail: 'BREAK-GLASS: frozen; overridden: INC-4711']]
  assert r.pipeline.console.any { it.contains("(BREAK-GLASS: ${reason})") }
}

test('without breakGlass and author promote gets neither flag, and the result says no break-glass') {
  Map r = runStep([to: 'prod', breakGlass: '', author: null])
  assert r.failure == null
  assert !r.argv.contains('--break-glass') && !r.argv.contains('--author')
  assert !r.pipeline.callsOf('withEnv')[0].vars.any { it.startsWith('PROMOTE_STEP_BREAK_GLASS') || it.startsWith('PROMOTE_STEP_AUTHOR') }
  assert r.result.breakGlass == null
  assert !r.pipeline.console.any { it.contains('BREAK-GLASS') }
}

test('breakGlass and author must be strings: anything else fails before promote runs') {
  Map r = runStep([to: 'prod', breakGlass: true, author: ['alice']])
  assert r.failure.message.contains("breakGlass must be a string, not Boolean")
  assert r.failure.message.contains("author must be a string, not ArrayList")
  assertNoShellRun(r)
}

test('defaults: sha from GIT_COMMIT, branch from BRANCH_NAME, config promote.yaml, binary promote on PATH') {
  Map r = runStep([to: 'dev'], [env: [GIT_COMMIT: 'abcdef1', BRANCH_NAME: 'develop']])
  assert r.argv == baseArgv(['--to', 'dev', '--sha', 'abcdef1', '--branch', 'develop'])
  assert r.pipeline.callsOf('withEnv')[0].vars[0] == 'PROMOTE_STEP_BINARY=promote'
}

test('sha and branch given as empty or null are left to promote (release/*-sha-<hex> carries the SHA)') {
  Map r = runStep([sha: '', branch: 'release/v1.2.0-sha-2b2e927'])
  assert r.argv == baseArgv(['--branch', 'release/v1.2.0-sha-2b2e927'])
  Map n = runStep([to: 'stage', sha: null, branch: null])
  assert n.argv == baseArgv(['--to', 'stage'])
  Map none = runStep([to: 'stage'], [env: [:]])
  assert none.argv == baseArgv(['--to', 'stage'])
}

test('without to, promote picks the environment from the branch; the result names it') {
  Map r = runStep([setDescription: true], [stdout: runJson(to: [env: 'dev', reference: "dev.registry:5000/shop/payment-svc@${DIGEST}".toString()],
                                        from: [env: 'dev', reference: 'dev.registry:5000/shop/payment-svc:sha-2b2e927'])])
  assert r.failure == null
  assert r.argv == baseArgv(['--sha', SHA, '--branch', 'develop'])
  assert r.result.to == 'dev'
  assert r.result.resultFile == 'promote-result.json'
  assert r.pipeline.callsOf('archiveArtifacts')[0].artifacts == 'promote-result.json'
  assert r.pipeline.currentBuild.description == "dev ← sha-2b2e927 @ ${DIGEST.take(19)}…"
}

test('credentials for hyphenated environments use underscores: pre-prod -> PROMOTE_PRE_PROD_*') {
  Map r = runStep([to: 'pre-prod', credentials: ['pre-prod': 'stage-registry']])
  assert r.failure == null
  assert r.cliEnv.PROMOTE_PRE_PROD_USERNAME == 'stage-bot'
  assert r.cliEnv.PROMOTE_PRE_PROD_PASSWORD == STAGE_PASSWORD
  // promote's convention: anything but a letter or digit becomes '_'; promote checks the name.
  Map odd = runStep([to: 'stage', credentials: ['qa.eu;x': 'stage-registry']])
  assert odd.failure == null
  assert odd.cliEnv.PROMOTE_QA_EU_X_USERNAME == 'stage-bot'
}

test('a credentials id Jenkins does not know fails in withCredentials, before promote runs, id not shown') {
  Map r = runStep([to: 'prod', credentialsId: [prod: 'no-such-id']])
  assert r.failure.message.startsWith('promoteImage: Jenkins could not bind the credentials given in credentialsId')
  assert !r.failure.message.contains('no-such-id')
  assert r.argv == null
}

test('signingPasswordId given the passphrase itself: refused without showing it') {
  Map r = runStep([to: 'prod', signingKeyId: 'cosign-key', signingPasswordId: KEY_PASSWORD])
  assert r.failure.message.startsWith('promoteImage: signingPasswordId: not a credentials id')
  assert !r.failure.message.contains('passphrase')
  assertNoShellRun(r)
  // The old name too, and a passphrase that looks like an id: Jenkins' lookup error is replaced.
  r = runStep([to: 'prod', signingKey: 'cosign-key', signingPassword: 'Hunter2-passphrase'])
  assert r.failure.message.contains('signingPasswordId')
  assert !r.failure.message.contains('Hunter2')
  assert r.pipeline.calls.every { !String.valueOf(it).contains('Could not find') }
  assert r.argv == null
}

test('agentTokenId and agentCaId bind the agent token and CA for promote, and are never shown') {
  Map r = runStep([to: 'prod', agent: 'agent.internal:7443', agentTokenId: 'agent-token', agentCaId: 'agent-ca'])
  assert r.failure == null
  assert r.cliEnv.PROMOTE_AGENT == 'agent.internal:7443'
  assert r.cliEnv.PROMOTE_AGENT_TOKEN == AGENT_TOKEN
  assert r.cliEnv.PROMOTE_AGENT_CA != null && r.cliEnv.PROMOTE_AGENT_CA.endsWith('agent-ca.pem')
  assert r.pipeline.callsOf('string')*.credentialsId.contains('agent-token')
  assert r.pipeline.callsOf('file')*.credentialsId.contains('agent-ca')
  // The token itself where the id belongs: refused before anything runs, and not echoed.
  r = runStep([to: 'prod', agent: 'agent.internal:7443', agentTokenId: 'Bearer ' + AGENT_TOKEN])
  assert r.failure.message.startsWith('promoteImage: agentTokenId: not a credentials id')
  assert !r.failure.message.contains(AGENT_TOKEN)
  assertNoShellRun(r)
}

test('the ...Id parameters bind like their earlier names; both names together are refused') {
  Map r = runStep([to: 'prod', credentialsId: [prod: 'prod-registry'], signingKeyId: 'cosign-key',
                   signingPasswordId: 'cosign-password'])
  assert r.failure == null
  assert r.cliEnv.PROMOTE_PROD_PASSWORD == PROD_PASSWORD
  assert r.cliEnv.PROMOTE_KEY_PASSWORD == KEY_PASSWORD
  r = runStep([to: 'prod', signingKey: 'cosign-key', signingKeyId: 'cosign-key'])
  assert r.failure.message.contains('signingKey is the earlier name of signingKeyId: pass only signingKeyId')
  assertNoShellRun(r)
}

// ------------------------------------------------------------------------------------------------
// The returned map, description, archive

test('the returned map: digest, references, tags, signature, record, gates, counts') {
  Map sig = [reference: 'prod.registry:5000/shop/payment-svc:sha256-abab.sig']
  Map r = runStep([setDescription: true, to: 'prod'], [stdout: runJson(to: [env: 'prod', reference: "prod.registry:5000/shop/payment-svc@${DIGEST}".toString()],
                                                 from: [env: 'stage', reference: 'stage.registry:5000/shop/payment-svc:sha-2b2e927',
                                                        tag: 'sha-2b2e927'],
                                                 signature: sig,
                                                 gates: [[name: 'scan', verdict: 'passed', counts: [CRITICAL: 0, HIGH: 1]]])])
  assert r.result == [
      status       : 'promoted', dryRun: false, digest: DIGEST, from: 'stage',
      fromReference: 'stage.registry:5000/shop/payment-svc:sha-2b2e927', fromTag: 'sha-2b2e927', to: 'prod',
      reference    : "prod.registry:5000/shop/payment-svc@${DIGEST}".toString(),
      platforms    : ['linux/amd64', 'linux/arm64'],
      tags         : [written: ['sha-2b2e927', 'v1.2.0'], moved: ['stage'], unchanged: [], refused: []],
      signature    : 'prod.registry:5000/shop/payment-svc:sha256-abab.sig',
      record       : 'stage.registry:5000/shop/payment-svc:sha256-abab.att',
      gates        : [[name: 'scan', verdict: 'passed', counts: [CRITICAL: 0, HIGH: 1]]],
      breakGlass   : null,
      blobs        : [copied: 6, mounted: 0, skipped: 2], bytes: [copied: 25165824, mounted: 0, skipped: 1024],
      resultFile   : 'promote-result-prod.json', exitCode: 0]
  assert r.pipeline.currentBuild.description == "prod ← sha-2b2e927 @ ${DIGEST.take(19)}…"
  assert r.pipeline.callsOf('echo')[0].message == "promoteImage: promoted ${DIGEST} to prod.registry:5000/shop/payment-svc@${DIGEST}"
}

/** A release set's run result: no digest of its own, one entry per image under images. */
Map setJson(Map overrides = [:], Map firstImage = [:]) {
  List images = ['api', 'worker', 'web'].withIndex().collect { String name, int i ->
    String digest = 'sha256:' + "${i}c" * 32
    [name: name, from: [env: 'dev', reference: "dev.registry:5000/shop/${name}:sha-2b2e927".toString()],
     to: [env: 'stage', reference: "stage.registry:5000/shop/${name}@${digest}".toString()], digest: digest,
     tags: [written: ['sha-2b2e927'], moved: ['stage'], unchanged: [], refused: [], restored: [], left: []],
     gates: [[name: 'stage-order', verdict: 'passed']], signature: null,
     record: [reference: "stage.registry:5000/shop/${name}:sha256-${i}c.att".toString()]]
  }
  images[0].putAll(firstImage)
  return runJson([digest: null, to: [env: 'stage', reference: ''], from: [env: 'dev', reference: ''],
                  tags: [written: [], moved: [], unchanged: [], refused: []], images: images] + overrides)
}

test('a release set: the map has images (name, digest, references, tags, gates, record) and the console a line each') {
  Map r = runStep([setDescription: true, to: 'stage'], [stdout: setJson()])
  assert r.failure == null
  assert r.result.digest == null
  assert r.result.images*.name == ['api', 'worker', 'web']
  assert r.result.images[1] == [
      name     : 'worker', digest: 'sha256:' + '1c' * 32,
      fromReference: 'dev.registry:5000/shop/worker:sha-2b2e927',
      reference: "stage.registry:5000/shop/worker@sha256:${'1c' * 32}".toString(),
      tags     : [written: ['sha-2b2e927'], moved: ['stage'], unchanged: [], refused: [], restored: [], left: []],
      gates    : [[name: 'stage-order', verdict: 'passed']], signature: null,
      record   : 'stage.registry:5000/shop/worker:sha256-1c.att']
  String echoed = r.pipeline.callsOf('echo')[0].message
  assert echoed.readLines() == ['promoteImage: promoted release set to stage',
                                "  api: sha256:${'0c' * 32} stage.registry:5000/shop/api@sha256:${'0c' * 32}".toString(),
                                "  worker: sha256:${'1c' * 32} stage.registry:5000/shop/worker@sha256:${'1c' * 32}".toString(),
                                "  web: sha256:${'2c' * 32} stage.registry:5000/shop/web@sha256:${'2c' * 32}".toString()]
  assert r.pipeline.currentBuild.description == 'stage ← sha-2b2e927 @ release set of 3 images'
  new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(r.result)
  // A single image's map has no images key: the shape callers know is unchanged.
  assert !runStep([to: 'stage']).result.containsKey('images')
}

test('a release set refused on one image names that image\'s refused gate') {
  Map refused = setJson([ok: false, status: 'refused',
                         error: [code: 'gate_refused', category: 'gate_refused', exit_code: 3,
                                 message: "image 'worker': stage-order refused"]])
  refused.images[1].gates = [[name: 'stage-order', verdict: 'refused', detail: 'no record in dev']]
  Map r = runStep([to: 'stage'], [exit: 3, stdout: refused])
  assert r.failure.message.contains("promoteImage: stage: gate_refused (gate_refused, exit 3): image 'worker'")
  assert r.failure.message.contains('refused gates: worker/stage-order: no record in dev')
}

test('a release set whose tag write failed says which images\' tags were put back') {
  Map failed = setJson([ok: false, status: 'failed',
                        error: [code: 'registry_error', exit_code: 4, message: "image 'web': PUT manifest: 400"]],
                       [tags: [written: ['sha-2b2e927'], moved: ['stage'], unchanged: [], refused: [],
                               restored: ['stage'], left: ['sha-2b2e927']]])
  Map r = runStep([to: 'stage', failOnError: false], [exit: 4, stdout: failed])
  assert r.failure == null
  assert r.result.error.contains("image 'web': PUT manifest: 400")
  assert r.result.error.endsWith('; release set: tags put back for api (stage)')
  assert r.result.images[0].tags.restored == ['stage']
  assert r.result.images[0].tags.left == ['sha-2b2e927']
}

test('the JSON result is archived as the CLI printed it, and the map survives serialization') {
  Map json = runJson()
  Map r = runStep([to: 'stage'], [stdout: json])
  Map archived = r.pipeline.callsOf('archiveArtifacts')[0]
  assert archived.artifacts == 'promote-result-stage.json'
  assert archived.allowEmptyArchive == true
  assert archived.fingerprint == false
  assert new groovy.json.JsonSlurper().parseText(archived.content) == new groovy.json.JsonSlurper().parseText(JsonOutput.toJson(json))
  new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(r.result)
  new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(
      dev.promote.jenkins.PromoteInvocation.fromArguments([to: 'stage', credentials: [prod: 'x']], [:]))
}

test('dry run and unchanged results say so in the description') {
  Map plan = runStep([setDescription: true, to: 'stage', dryRun: true], [stdout: runJson(status: 'planned', dry_run: true)])
  assert plan.result.dryRun == true
  assert plan.result.status == 'planned'
  assert plan.pipeline.currentBuild.description.endsWith('(dry run)')
  Map same = runStep([setDescription: true, to: 'stage', dryRun: false], [stdout: runJson(status: 'unchanged')])
  assert !same.argv.contains('--dry-run')
  assert same.pipeline.currentBuild.description.endsWith('(unchanged)')
}

// ------------------------------------------------------------------------------------------------
// Failures from the CLI: each kind says what it is

test('exit 2 (usage/config, e.g. no --to on a branch with several environments): the CLI message, no --to passed') {
  String msg = "branch 'hotfix/x' may promote to several environments (prod, pre-prod); pass --to"
  Map r = runStep([setDescription: true, branch: 'hotfix/x'], [exit: 2, stdout: failureJson(2, 'invalid_argument', msg, [to: null, from: null])])
  assert r.argv == baseArgv(['--sha', SHA, '--branch', 'hotfix/x'])
  assert r.failure.message == "promoteImage: promote: bad_input (invalid_argument, exit 2): ${msg}"
  assert r.pipeline.currentBuild.description == 'promote: failed'
  assert r.pipeline.callsOf('archiveArtifacts').size() == 1
  assert r.pipeline.callsOf('echo').isEmpty()
}

test('currentBuild.description is left alone unless setDescription: true') {
  Map r = runStep([to: 'stage'], [stdout: runJson(), env: [BRANCH_NAME: 'release/v1.2.0', GIT_COMMIT: SHA]])
  assert r.failure == null
  assert r.pipeline.currentBuild.description == null
  Map failed = runStep([to: 'stage'], [exit: 5, stdout: failureJson(5, 'internal', 'boom')])
  assert failed.failure != null
  assert failed.pipeline.currentBuild.description == null
}

test('failOnError: false: a refusal or a crash returns the map with status, exitCode and error') {
  Map r = runStep([to: 'prod', branch: 'main', failOnError: false], [exit: 3, stdout: failureJson(3, 'gate_refused',
      'stage-order gate refused prod', [to: [env: 'prod', reference: null],
                                        gates: [[name: 'stage-order', verdict: 'refused']]])])
  assert r.failure == null
  assert r.result.status == 'refused'
  assert r.result.exitCode == 3
  assert r.result.error.startsWith('promoteImage: prod: gate_refused (gate_refused, exit 3)')
  assert r.result.gates == [[name: 'stage-order', verdict: 'refused']]
  assert r.pipeline.callsOf('error').isEmpty()
  assert r.pipeline.callsOf('echo').size() == 1
  Map crash = runStep([to: 'prod', failOnError: false], [exit: 139, stdout: ''])
  assert crash.failure == null
  assert crash.result.status == 'failed'
  assert crash.result.exitCode == 139
  // Invalid parameters still fail the build: they are the Jenkinsfile's bug, not a promotion's outcome.
  assert runStep([to: 'prod', dryRun: 'yes', failOnError: false]).failure.message.contains('dryRun must be true or false')
}

test('exit 3 gate refused: shows promote\'s category and lists the refused gates') {
  Map r = runStep([setDescription: true, to: 'prod', branch: 'main'], [exit: 3, stdout: failureJson(3, 'gate_refused',
      'stage-order gate refused prod: sha256:abab was never promoted to stage',
      [to: [env: 'prod', reference: null],
       gates: [[name: 'branch', verdict: 'passed', detail: 'main may promote to prod'],
               [name: 'stage-order', verdict: 'refused', detail: 'no valid promotion record in stage']]])])
  assert r.failure.message.startsWith('promoteImage: prod: gate_refused (gate_refused, exit 3): stage-order gate refused prod')
  assert r.failure.message.contains('refused gates: stage-order: no valid promotion record in stage')
  assert !r.failure.message.contains('registry')
  assert r.pipeline.currentBuild.description == 'prod: refused'
  assert r.pipeline.callsOf('archiveArtifacts').size() == 1
}

test('exit 3 tag conflict: shows the conflict code and names the refused tags') {
  Map r = runStep([to: 'stage'], [exit: 3, stdout: failureJson(3, 'conflict', 'tag v1.2.0 already names sha256:cdcd',
      [tags: [written: [], moved: [], unchanged: [], refused: ['v1.2.0']]])])
  assert r.failure.message.startsWith('promoteImage: stage: gate_refused (conflict, exit 3): tag v1.2.0 already names')
  assert r.failure.message.endsWith('refused tags: v1.2.0')
}

test('exit 4 credentials refused: promote\'s category says so, distinct from a refusal') {
  Map r = runStep([setDescription: true, to: 'prod', credentials: [prod: 'prod-registry']],
                  [exit: 4, stdout: failureJson(4, 'unauthenticated', 'prod.registry:5000: 401 UNAUTHORIZED for ci-bot')])
  assert r.failure.message.startsWith('promoteImage: stage: auth (unauthenticated, exit 4): prod.registry:5000: 401')
  assert !r.failure.message.contains('gate_refused')
  assert r.pipeline.currentBuild.description == 'stage: failed'
  assertNoSecretLeaks(r)
}

test('exit 5 internal error') {
  Map r = runStep([to: 'stage'], [exit: 5, stdout: failureJson(5, 'internal', 'boom')])
  assert r.failure.message == 'promoteImage: stage: internal (internal, exit 5): boom'
}

test('a missing binary (exit 127) and output that is not JSON fail with a clear message, nothing archived') {
  Map missing = runStep([to: 'stage', promoteBinary: '/nonexistent/promote'], [stdout: null])
  assert missing.failure.message.startsWith('promoteImage: promote exited with 127 and printed no JSON result (command not found')
  assert missing.pipeline.callsOf('archiveArtifacts').isEmpty()
  Map garbage = runStep([to: 'stage'], [stdout: 'Segmentation fault'])
  assert garbage.failure.message.startsWith('promoteImage: promote exited with 0 and printed no JSON result')
  Map okFalse = runStep([to: 'stage'], [exit: 0, stdout: failureJson(4, 'unavailable', 'registry down')])
  assert okFalse.failure != null: 'ok: false fails the build even with exit 0'
}

// ------------------------------------------------------------------------------------------------
// Validation of what only the step knows (parameter names and types, credentials ids, paths):
// refused before any shell runs. Branch, SHA and environment names are promote's to check: see the
// end-to-end cases, which show the real CLI's refusal.

List badInputs = [
    [[to: 'stage', sha: 2234567], 'sha must be a string, not Integer 2234567'],
    [[to: 'stage', dryRun: 'yes'], "dryRun must be true or false, not String 'yes'"],
    [[to: 'stage', dryRun: 1], 'dryRun must be true or false, not Integer 1'],
    [[to: 'stage', setDescription: 'yes'], "setDescription must be true or false, not String 'yes'"],
    [[to: 'stage', failOnError: 'no'], "failOnError must be true or false, not String 'no'"],
    [[tO: 'stage'], "unknown parameter 'tO'; valid parameters: ${VALID.join(', ')}"],
    [[to: 'stage', image: 'x', dry_run: true], "unknown parameters 'image', 'dry_run'; valid parameters: to, sha,"],
    [[to: 'stage', credentials: 'prod-registry'], "credentials must be a map of environment name to credentials id"],
    [[to: 'stage', credentials: [prod: 42]], 'credentials.prod: not a credentials id'],
    [[to: 'stage', credentialsId: [prod: 'a\nb']], "credentialsId.prod: not a credentials id"],
    [[to: 'stage', credentialsId: [prod: 'pass word']], "credentialsId.prod: not a credentials id"],
    [[to: 'stage', config: '--help'], "config: '--help' is not a usable path"],
    [[to: 'stage', config: 'a\u0000b'], "config: 'a\\u0000b' is not a usable path"],
    [[to: 'stage', config: ['promote.yaml']], 'config must be a string, not ArrayList'],
    [[to: 'stage', promoteBinary: '-rf'], "promoteBinary: '-rf' is not a usable path"],
    [[to: 'stage', agent: 'host:1 --insecure'], "agent: 'host:1 --insecure' is not an address"],
    [[to: 'stage', signingKey: 'key\nid'], "signingKey: not a credentials id"],
    [[to: 'stage', signingKeyId: 'key id'], "signingKeyId: not a credentials id"],
    [[to: 'stage', signingPassword: true], 'signingPassword must be a string, not Boolean true'],
]
badInputs.eachWithIndex { List c, int i ->
  test("bad input ${i + 1}: ${c[0].inspect()}") {
    Map r = runStep((Map) c[0])
    assert r.failure != null
    assert r.failure.message.startsWith('promoteImage: ')
    assert r.failure.message.contains((String) c[1])
    assertNoShellRun(r)
    assert r.pipeline.callsOf('error').size() == 1
  }
}

test('several bad parameters are reported together') {
  Map r = runStep([to: 'x y', sha: 42, dryRun: 'true', bogus: 1])
  assert r.failure.message.startsWith('promoteImage: 3 invalid parameters:\n - unknown parameter \'bogus\'')
  assert r.failure.message.contains('\n - sha must be a string, not Integer 42')
  assert r.failure.message.contains('\n - dryRun must be true or false')
  assertNoShellRun(r)
}

test('the help text and the README document every parameter') {
  String help = new File(pluginDir, 'vars/promoteImage.txt').text
  String readme = new File(pluginDir, 'README.md').text
  for (String name : dev.promote.jenkins.PromoteInvocation.PARAMETERS) {
    assert help.contains(name)
    assert readme.contains("`${name}`")
  }
  assert dev.promote.jenkins.PromoteInvocation.PARAMETERS == VALID
}

/** The argument text of every promoteImage( call in TEXT. */
List<String> promoteImageCalls(String text) {
  List<String> calls = []
  int at = text.indexOf('promoteImage(')
  while (at >= 0) {
    int i = at + 'promoteImage('.length()
    int depth = 0
    for (; depth >= 0; i++) {
      char c = text.charAt(i)
      if (c == (char) '(' || c == (char) '[') depth++
      else if (c == (char) ')' || c == (char) ']') depth--
    }
    calls << text.substring(at + 'promoteImage('.length(), i - 1)
    at = text.indexOf('promoteImage(', i)
  }
  return calls
}

/**
 * Evaluates the arguments of each promoteImage call in TEXT as the pipeline would (params, env and
 * the script's own `sha` given) and checks them against the step's own rules: no invalid or
 * unknown parameter, and the signing key every promotion needs (promote signs its record).
 */
void checkShippedCalls(String where, String text, int expected) {
  List<String> calls = promoteImageCalls(text)
  assert calls.size() == expected: "${where}: ${calls.size()} promoteImage calls"
  Binding binding = new Binding([params: [IMAGE_SHA: '2b2e927', DRY_RUN: false], sha: '2b2e927',
                                 env   : [GIT_COMMIT: SHA, BRANCH_NAME: 'release/v1.2.0']])
  calls.each { String argText ->
    Map args = (Map) new GroovyShell(binding).evaluate("[${argText}]")
    def inv = dev.promote.jenkins.PromoteInvocation.fromArguments(args, [GIT_COMMIT: SHA, BRANCH_NAME: 'develop'])
    assert !inv.errors: "${where}: promoteImage(${argText}): ${inv.errors}"
    assert args.keySet().every { VALID.contains(it) }: "${where}: earlier parameter names in ${args.keySet()}"
    assert (inv.signingKey != null && inv.signingPassword != null) || inv.agent != null:
        "${where}: promoteImage(${argText}) passes no signing key; promote would exit 2"
  }
}

test('the example Jenkinsfile parses, and each promoteImage call in it passes the step checks with a signing key') {
  File jenkinsfile = new File(pluginDir, 'examples/Jenkinsfile')
  org.codehaus.groovy.control.CompilationUnit unit = new org.codehaus.groovy.control.CompilationUnit()
  unit.addSource(jenkinsfile)
  unit.compile(org.codehaus.groovy.control.Phases.CONVERSION)
  checkShippedCalls('examples/Jenkinsfile', jenkinsfile.text, 3)
}

test('the approval example parses, passes the step checks through an agent, and runs promote approve with constant scripts') {
  File jenkinsfile = new File(pluginDir, 'examples/Jenkinsfile.approval')
  org.codehaus.groovy.control.CompilationUnit unit = new org.codehaus.groovy.control.CompilationUnit()
  unit.addSource(jenkinsfile)
  unit.compile(org.codehaus.groovy.control.Phases.CONVERSION)
  String text = jenkinsfile.text
  checkShippedCalls('examples/Jenkinsfile.approval', text, 1)
  String call = promoteImageCalls(text)[0]
  assert call.contains('breakGlass: params.BREAK_GLASS') && call.contains('author: params.AUTHOR')
  // The approver Jenkins reports reaches promote approve through the environment, never the script text.
  assert text.contains('submitterParameter:')
  assert text.contains('"PROMOTE_APPROVER=${approver}"')
  assert text.contains('sh \'promote approve --env prod --sha "$PROMOTE_SHA" --approver "$PROMOTE_APPROVER" \'')
  assert !(text =~ /\bsh\s*\(?\s*"/): 'an sh script in double quotes would interpolate values into the script'
}

test('the release-set example parses, and its promoteImage call passes the step checks with a signing key') {
  File jenkinsfile = new File(pluginDir, 'examples/Jenkinsfile.release-set')
  org.codehaus.groovy.control.CompilationUnit unit = new org.codehaus.groovy.control.CompilationUnit()
  unit.addSource(jenkinsfile)
  unit.compile(org.codehaus.groovy.control.Phases.CONVERSION)
  checkShippedCalls('examples/Jenkinsfile.release-set', jenkinsfile.text, 1)
  // The pipeline reads the images of the returned map; it holds no per-image logic of its own.
  assert jenkinsfile.text.contains('r.images')
}

test('the README and help snippets pass the step checks with a signing key') {
  checkShippedCalls('README.md', new File(pluginDir, 'README.md').text.findAll(/(?s)```groovy\n(.*?)```/).join('\n'), 2)
  checkShippedCalls('promoteImage.txt', new File(pluginDir, 'vars/promoteImage.txt').text
      .findAll(/(?s)<pre>(.*?)<\/pre>/).join('\n'), 1)
}

// ------------------------------------------------------------------------------------------------
// End to end: the real CLI against three loopback registries (set up by test/run-tests.sh)

String e2eBinary = System.getenv('PROMOTE_E2E_BINARY')
if (e2eBinary) {
  Map e2e = [binary  : e2eBinary, config: System.getenv('PROMOTE_E2E_CONFIG'), digest: System.getenv('PROMOTE_E2E_DIGEST'),
             sha     : System.getenv('PROMOTE_E2E_SHA'), key: new File(System.getenv('PROMOTE_E2E_KEY')).text,
             pub     : System.getenv('PROMOTE_E2E_PUB'), keyPassword: System.getenv('PROMOTE_E2E_KEY_PASSWORD'),
             prodUser: System.getenv('PROMOTE_E2E_PROD_USERNAME'), prodPassword: System.getenv('PROMOTE_E2E_PROD_PASSWORD'),
             prodRepo: System.getenv('PROMOTE_E2E_PROD_REPOSITORY')]
  File e2eWorkspace = new File(workDir, 'e2e-workspace')

  // One pipeline per call, all sharing a workspace, as successive builds of a multibranch job would.
  def promoteE2e = { String branch, Map stepArgs, String prodCredentials = 'prod-registry' ->
    FakePipeline p = new FakePipeline(e2eWorkspace)
    p.env.putAll([BRANCH_NAME: branch, GIT_COMMIT: '0000000000000000000000000000000000000000', PATH: System.getenv('PATH')])
    p.addUsernamePassword('prod-registry', e2e.prodUser, e2e.prodPassword)
    p.addUsernamePassword('prod-registry-stale', e2e.prodUser, 'not-the-password-' + e2e.prodPassword.reverse())
    p.addFile('cosign-key', 'cosign.key', e2e.key)
    p.addString('cosign-password', e2e.keyPassword)
    Map all = [setDescription: true, config: e2e.config, promoteBinary: e2e.binary, credentials: [prod: prodCredentials],
               signingKey : 'cosign-key', signingPassword: 'cosign-password'] + stepArgs
    Map r = invoke(p, all)
    assertNoSecretLeaks(r)
    return r
  }

  test('e2e develop -> dev (to taken from the branch by promote)') {
    Map r = promoteE2e('develop', [sha: e2e.sha])
    assert r.failure == null: r.pipeline.console.join('\n')
    assert r.result.status == 'promoted'
    assert r.result.to == 'dev'
    assert r.result.digest == e2e.digest
    assert r.result.tags.written == ['latest']
    assert r.result.record.contains('.att')
    assert r.result.signature == null
    assert r.pipeline.currentBuild.description == "dev ← sha-${e2e.sha.take(7)} @ ${e2e.digest.take(19)}…"
    assert new File(e2eWorkspace, 'promote-result.json').text.contains(e2e.digest)
  }

  // What the step used to check itself, promote checks: its refusal (error.category and message)
  // is what the build fails with, and nothing the values hold runs.
  [
      [[sha: 'xyz'], "SHA 'xyz' must be 7 to 40 hex characters"],
      [[sha: '2b2e927$(touch pwned)'], "SHA '2b2e927\$(touch pwned)' is not hexadecimal"],
      [[sha: '2b2e92'], "SHA '2b2e92' must be 7 to 40 hex characters"],
      [[sha: 'a' * 41], 'must be 7 to 40 hex characters'],
      [[to: 'stage;touch pwned'], "unknown environment 'stage;touch pwned'"],
      [[to: 'Stage'], "unknown environment 'Stage'"],
      [[to: 'stage', from: 'dev prod'], "unknown environment 'dev prod' given as --from"],
      [[to: 'stage', branch: 'develop\ntouch pwned'], 'is not a valid Git branch name'],
      [[to: 'stage', branch: '-x'], "branch name '-x' is not a valid Git branch name"],
      [[to: 'stage', branch: 'release/ v1'], "branch name 'release/ v1' is not a valid Git branch name"],
  ].each { List c ->
    test("e2e promote refuses ${c[0].inspect()}: bad_input, its message shown") {
      Map r = promoteE2e('release/v1.2.0', [sha: e2e.sha] + (Map) c[0])
      assert r.failure != null
      assert r.failure.message.startsWith('promoteImage: ')
      assert r.failure.message.contains('bad_input (invalid_argument, exit 2): ')
      assert r.failure.message.contains((String) c[1])
      assert r.pipeline.currentBuild.description.endsWith(': failed')
      assert !new File(e2eWorkspace, 'pwned').exists()
      assert r.pipeline.callsOf('archiveArtifacts')[0].artifacts ==~ /promote-result(-[A-Za-z0-9_-]+)?\.json/
    }
  }

  test('e2e no to and no branch: promote asks for one') {
    Map r = promoteE2e(null, [sha: e2e.sha])
    assert r.failure.message.startsWith('promoteImage: promote: bad_input (invalid_argument, exit 2): --branch is required')
  }

  test('e2e main -> prod before stage: the stage-order gate refuses (exit 3)') {
    Map r = promoteE2e('main', [sha: e2e.sha, from: 'dev'])
    assert r.failure != null
    assert r.failure.message.startsWith('promoteImage: prod: gate_refused (gate_refused, exit 3):')
    assert r.failure.message.contains('stage-order')
    assert r.pipeline.currentBuild.description == 'prod: refused'
  }

  test('e2e hotfix/* without to: promote asks for --to (exit 2), reported as a usage error') {
    Map r = promoteE2e('hotfix/v1.2.1', [sha: e2e.sha])
    assert r.failure != null
    assert r.failure.message.contains(': bad_input (invalid_argument, exit 2):')
    assert r.failure.message.contains('pass --to')
  }

  test('e2e breakGlass where promote.yaml has no window gate: promote refuses it (exit 2) before writing') {
    Map r = promoteE2e('release/v1.2.0', [to: 'stage', sha: e2e.sha, breakGlass: 'INC-4711: payments down', author: 'alice'])
    assert r.failure != null
    assert r.failure.message.startsWith('promoteImage: stage: bad_input (invalid_argument, exit 2):')
    assert r.failure.message.contains("--break-glass is not allowed for environment 'stage'")
    assert r.result == null
  }

  test('e2e release/v1.2.0 -> stage: a dry run plans, then the promotion copies the same digest') {
    Map plan = promoteE2e('release/v1.2.0', [to: 'stage', sha: e2e.sha, dryRun: true])
    assert plan.failure == null: plan.pipeline.console.join('\n')
    assert plan.result.status == 'planned'
    assert plan.result.dryRun == true
    Map r = promoteE2e('release/v1.2.0', [to: 'stage', sha: e2e.sha])
    assert r.failure == null: r.pipeline.console.join('\n')
    assert r.result.status == 'promoted'
    assert r.result.digest == e2e.digest
    assert r.result.from == 'dev'
    assert r.result.fromTag == "sha-${e2e.sha.take(7)}".toString()
    assert r.result.tags.written.contains('v1.2.0')
    assert r.result.gates.find { it.name == 'stage-order' }.verdict == 'passed'
    assert r.pipeline.currentBuild.description.startsWith('stage ← ')
  }

  test('e2e main -> prod with a wrong registry password: promote says auth (exit 4), not a refusal') {
    Map r = promoteE2e('main', [to: 'prod', sha: e2e.sha], 'prod-registry-stale')
    assert r.failure != null
    assert r.failure.message.startsWith('promoteImage: prod: auth (')
    assert r.failure.message.contains('exit 4')
  }

  test('e2e main -> prod: signed, same digest, verifiable with the public key') {
    Map r = promoteE2e('main', [to: 'prod', sha: e2e.sha])
    assert r.failure == null: r.pipeline.console.join('\n')
    assert r.result.status == 'promoted'
    assert r.result.digest == e2e.digest
    assert r.result.from == 'stage'
    assert r.result.signature.contains('.sig')
    assert r.result.reference.contains(e2e.digest)
    Process verify = [e2e.binary, '-o', 'json', 'verify', "${e2e.prodRepo}:prod".toString(), '--key', e2e.pub,
                      '--src-username', e2e.prodUser].execute(
        ["PATH=${System.getenv('PATH')}", "HOME=${workDir}", "PROMOTE_SRC_PASSWORD=${e2e.prodPassword}"]
            .collect { it.toString() }, workDir)
    String err = verify.errorStream.text
    Map verified = (Map) new groovy.json.JsonSlurper().parseText(verify.inputStream.text)
    assert verify.waitFor() == 0: err
    assert verified.ok == true
    assert verified.digest == e2e.digest
  }

  test('e2e main -> prod again: unchanged') {
    Map r = promoteE2e('main', [to: 'prod', sha: e2e.sha])
    assert r.failure == null: r.pipeline.console.join('\n')
    assert r.result.status == 'unchanged'
    assert r.result.digest == e2e.digest
    assert r.pipeline.currentBuild.description.endsWith('(unchanged)')
  }
}

// ------------------------------------------------------------------------------------------------

int failed = 0
cases.eachWithIndex { Map c, int i ->
  try {
    c.body.call()
    println "ok ${i + 1} - ${c.name}"
  } catch (Throwable t) {
    failed++
    println "not ok ${i + 1} - ${c.name}"
    println t.toString().readLines().collect { '#   ' + it }.join('\n')
  }
}
println "${cases.size() - failed}/${cases.size()} cases passed"
System.exit(failed == 0 ? 0 : 1)
