/**
 * A stand-in for the Jenkins pipeline a library step runs in: records every step call in order
 * (`calls`), keeps `env` and `currentBuild`, binds credentials from a fake store the way
 * withCredentials does, and runs `sh` scripts for real with /bin/sh -xe (as Jenkins does) in
 * `workspace`, with the environment the step set up. Steps that fail throw StepFailure.
 */
class FakePipeline {
  final File workspace
  final Map<String, Object> env = [:]
  final Map<String, Object> currentBuild = [description: null]
  /** id -> [type: 'usernamePassword', username:, password:] | [type: 'file', fileName:, content:] | [type: 'string', secret:] */
  final Map<String, Map> credentialStore = [:]
  final List<Map> calls = []
  final List<String> console = []
  final List<String> secrets = []
  private final List<Map<String, String>> envStack = []

  FakePipeline(File workspace) {
    this.workspace = workspace
    workspace.mkdirs()
  }

  List<Map> callsOf(String step) { calls.findAll { it.step == step } }

  void addUsernamePassword(String id, String username, String password) {
    credentialStore[id] = [type: 'usernamePassword', username: username, password: password]
    secrets << password
  }

  void addFile(String id, String fileName, String content) {
    credentialStore[id] = [type: 'file', fileName: fileName, content: content]
    secrets << content.trim()
  }

  void addString(String id, String secret) {
    credentialStore[id] = [type: 'string', secret: secret]
    secrets << secret
  }

  Object withEnv(List vars, Closure body) {
    calls << [step: 'withEnv', vars: new ArrayList(vars)]
    Map<String, String> frame = [:]
    for (Object v : vars) {
      String s = v.toString()
      int eq = s.indexOf('=')
      if (eq <= 0) throw new StepFailure("withEnv: '${s}' is not NAME=value")
      frame[s.substring(0, eq)] = s.substring(eq + 1)
    }
    envStack << frame
    try {
      return body.call()
    } finally {
      envStack.remove(envStack.size() - 1)
    }
  }

  Object withCredentials(List bindings, Closure body) {
    calls << [step: 'withCredentials', bindings: bindings.collect { new LinkedHashMap(it) }]
    Map<String, String> frame = [:]
    List<File> tempFiles = []
    try {
      for (Map b : bindings) {
        Map c = credentialStore[b.credentialsId]
        if (c == null) throw new StepFailure("Could not find credentials entry with ID '${b.credentialsId}'")
        if (c.type != b.kind) {
          throw new StepFailure("Credentials '${b.credentialsId}' is of type ${c.type} where ${b.kind} was expected")
        }
        switch (b.kind) {
          case 'usernamePassword':
            frame[b.usernameVariable] = c.username
            frame[b.passwordVariable] = c.password
            break
          case 'file':
            File dir = new File(workspace.path + '@tmp/secretFiles/' + UUID.randomUUID())
            dir.mkdirs()
            File f = new File(dir, c.fileName)
            f.text = c.content
            tempFiles << dir
            frame[b.variable] = f.path
            break
          case 'string':
            frame[b.variable] = c.secret
            break
        }
      }
      envStack << frame
      try {
        return body.call()
      } finally {
        envStack.remove(envStack.size() - 1)
      }
    } finally {
      tempFiles.each { it.deleteDir() }
    }
  }

  Map binding(String kind, Map m) {
    calls << ([step: kind] + m)
    return [kind: kind] + m
  }

  /** The environment a process started now would get: Jenkins env, then withEnv/withCredentials. */
  Map<String, String> currentEnvironment() {
    Map<String, String> e = [:]
    env.each { k, v -> if (v != null) e[k.toString()] = v.toString() }
    envStack.each { e.putAll(it) }
    return e
  }

  Object sh(Map m) {
    Map<String, String> scriptEnv = currentEnvironment()
    Map call = [step: 'sh', script: m.script, returnStatus: m.returnStatus == true, returnStdout: m.returnStdout == true,
                label: m.label, env: scriptEnv]
    calls << call
    ProcessBuilder pb = new ProcessBuilder('/bin/sh', '-xe', '-c', m.script.toString()).directory(workspace)
    Map<String, String> pe = pb.environment()
    // The agent's own environment, minus anything the host running the tests could leak in.
    pe.keySet().removeAll(pe.keySet().findAll { it.startsWith('PROMOTE_') || it in ['BRANCH_NAME', 'GITHUB_REF_NAME'] })
    pe.putAll(scriptEnv)
    File out = File.createTempFile('sh-out', '.txt')
    File err = File.createTempFile('sh-err', '.txt')
    try {
      pb.redirectOutput(out).redirectError(err)
      int rc = pb.start().waitFor()
      call.exitCode = rc
      call.stdout = out.text
      call.stderr = err.text
      console << call.stderr
      if (m.returnStatus) return rc
      if (rc != 0) throw new StepFailure("script returned exit code ${rc}")
      return m.returnStdout ? call.stdout : null
    } finally {
      out.delete()
      err.delete()
    }
  }

  String readFile(String path) {
    calls << [step: 'readFile', file: path]
    return new File(workspace, path).text
  }

  boolean fileExists(String path) {
    calls << [step: 'fileExists', file: path]
    return new File(workspace, path).exists()
  }

  void writeFile(Map m) {
    calls << [step: 'writeFile', file: m.file]
    new File(workspace, m.file.toString()).text = m.text
  }

  void archiveArtifacts(Map m) {
    File f = new File(workspace, m.artifacts.toString())
    calls << [step: 'archiveArtifacts', artifacts: m.artifacts, allowEmptyArchive: m.allowEmptyArchive,
              fingerprint: m.fingerprint, content: f.exists() ? f.text : null]
  }

  void echo(String message) {
    calls << [step: 'echo', message: message]
    console << message
  }

  void error(String message) {
    calls << [step: 'error', message: message]
    console << message
    throw new StepFailure(message)
  }
}
