import dev.promote.jenkins.PromoteInvocation
import dev.promote.jenkins.PromoteResult

/**
 * promoteImage: promote a commit's image into an environment with the promote CLI.
 *
 *   def r = promoteImage(to: 'stage', sha: params.IMAGE_SHA, credentials: [stage: 'stage-registry'])
 *   echo "stage now runs ${r.digest}"
 *
 * Parameters, defaults and the credentials convention: vars/promoteImage.txt and README.md.
 * Returns a map (digest, reference, tags, signature, gates, ...); fails the build otherwise.
 */
def call(Map args = [:]) {
  PromoteInvocation inv = PromoteInvocation.fromArguments(args, [GIT_COMMIT: env.GIT_COMMIT, BRANCH_NAME: env.BRANCH_NAME])
  if (inv.errors) {
    error(inv.errorMessage())
  }

  List bindings = []
  for (Map b : inv.credentialBindings()) {
    if (b.kind == 'usernamePassword') {
      bindings << usernamePassword(credentialsId: b.credentialsId, usernameVariable: b.usernameVariable,
                                   passwordVariable: b.passwordVariable)
    } else if (b.kind == 'file') {
      bindings << file(credentialsId: b.credentialsId, variable: b.variable)
    } else {
      bindings << string(credentialsId: b.credentialsId, variable: b.variable)
    }
  }

  String resultFile = inv.resultFile()
  String label = "promote run${inv.to ? ' --to ' + inv.to : ''}"
  int status = 0
  withEnv(inv.environment()) {
    if (bindings) {
      // Jenkins' errors for an unknown id or a credential of the wrong kind print the id; when a
      // secret was passed where an id belongs that would be the secret, so they are replaced.
      boolean bound = false
      try {
        withCredentials(bindings) {
          bound = true
          status = sh(script: inv.script(), returnStatus: true, label: label)
        }
      } catch (Exception e) {
        if (bound) throw e
        error("promoteImage: Jenkins could not bind the credentials given in ${inv.credentialParameters().join(', ')} " +
              "(${e.getClass().simpleName}): check that each id names an existing credential of the right kind " +
              "(username/password, secret file, secret text); ids are not shown")
      }
    } else {
      status = sh(script: inv.script(), returnStatus: true, label: label)
    }
  }

  String output = fileExists(resultFile) ? readFile(resultFile) : ''
  PromoteResult result = PromoteResult.from(status, output, inv)
  if (output) {
    archiveArtifacts(artifacts: resultFile, allowEmptyArchive: true, fingerprint: false)
  }
  if (inv.setDescription) {
    currentBuild.description = result.description
  }
  if (!result.ok) {
    if (inv.failOnError) error(result.failureMessage)
    // failOnError: false: the caller decides from the returned map (status, exitCode, error).
    echo(result.failureMessage)
    Map failed = result.toMap(inv)
    failed.status = failed.status ?: 'failed'
    failed.error = result.failureMessage
    return failed
  }
  echo(result.summary())
  return result.toMap(inv)
}
