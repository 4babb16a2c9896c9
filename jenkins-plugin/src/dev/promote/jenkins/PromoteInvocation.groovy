package dev.promote.jenkins

import com.cloudbees.groovy.cps.NonCPS

/**
 * The promoteImage step's named parameters, validated and turned into one `promote run` call.
 *
 * Every value reaches the shell as an environment variable: the sh script is built from constant
 * fragments only ('"$PROMOTE_STEP_TO"'), so no parameter can change the command and no secret is
 * ever part of the script text. Credentials are described as bindings for withCredentials; the
 * step turns them into usernamePassword/file/string calls. Nothing here knows about environments,
 * branches, commits or gates, nor checks their names: promote.yaml and the CLI decide those, and
 * the CLI's refusal is what the build shows (PromoteResult).
 */
class PromoteInvocation implements Serializable {
  private static final long serialVersionUID = 1L

  /** The parameter names promoteImage accepts, in the order the help lists them. */
  static final List<String> PARAMETERS = ['to', 'sha', 'from', 'branch', 'config', 'dryRun', 'breakGlass', 'author', 'agent',
                                          'agentTokenId', 'agentCaId', 'credentialsId', 'signingKeyId', 'signingPasswordId',
                                          'promoteBinary', 'failOnError', 'setDescription'].asImmutable()

  /** Earlier names of the parameters holding credentials ids, still accepted. */
  static final Map<String, String> ALIASES = [credentials: 'credentialsId', signingKey: 'signingKeyId',
                                              signingPassword: 'signingPasswordId'].asImmutable()

  static final String DEFAULT_CONFIG = 'promote.yaml'
  static final String DEFAULT_BINARY = 'promote'

  // The ids Jenkins' credentials store accepts. Checked before withCredentials looks an id up,
  // because Jenkins' lookup error prints the id, and a passphrase given by mistake is not one.
  private static final String CREDENTIALS_ID = /[A-Za-z0-9_.-]{1,256}/

  List<String> errors = []
  String to
  String from
  String sha
  String branch
  String config = DEFAULT_CONFIG
  boolean dryRun
  // Passed as --break-glass and --author; promote decides whether they are allowed and valid.
  String breakGlass
  String author
  // false: a failed promotion returns its map (status, exitCode, error) instead of failing the build.
  boolean failOnError = true
  // The build's description belongs to the Jenkinsfile; the step sets it only when asked.
  boolean setDescription
  String agent
  Map<String, String> credentials = [:]
  String signingKey
  String signingPassword
  String agentToken  // credentials id (secret text) of the agent's bearer token
  String agentCa     // credentials id (secret file) of the CA certificates that sign the agent's TLS certificate
  String promoteBinary = DEFAULT_BINARY

  /**
   * Validates `args` (the step's named parameters). `defaults` holds the pipeline's GIT_COMMIT and
   * BRANCH_NAME, used for `sha` and `branch` when those parameters are absent (not when they are
   * given as null or '': then promote is not passed the flag and decides itself).
   */
  @NonCPS
  static PromoteInvocation fromArguments(Map args, Map defaults) {
    PromoteInvocation inv = new PromoteInvocation()
    if (args == null) args = [:]
    List<String> unknown = []
    for (Object key : args.keySet()) {
      if (!(key instanceof CharSequence) || !(PARAMETERS.contains(key.toString()) || ALIASES.containsKey(key.toString()))) {
        unknown << String.valueOf(key)
      }
    }
    if (unknown) {
      inv.errors << "unknown parameter${unknown.size() > 1 ? 's' : ''} ${unknown.collect { "'${it}'" }.join(', ')}; " +
          "valid parameters: ${PARAMETERS.join(', ')}"
    }
    inv.to = inv.optionalString(args, 'to', null)
    inv.from = inv.optionalString(args, 'from', null)
    inv.sha = inv.optionalString(args, 'sha', defaults?.GIT_COMMIT)
    inv.branch = inv.optionalString(args, 'branch', defaults?.BRANCH_NAME)
    inv.config = inv.optionalString(args, 'config', DEFAULT_CONFIG)
    inv.breakGlass = inv.optionalString(args, 'breakGlass', null)
    inv.author = inv.optionalString(args, 'author', null)
    inv.agent = inv.optionalString(args, 'agent', null)
    String signingKeyName = inv.idParameterName(args, 'signingKeyId')
    String signingPasswordName = inv.idParameterName(args, 'signingPasswordId')
    String credentialsName = inv.idParameterName(args, 'credentialsId')
    inv.signingKey = inv.optionalString(args, signingKeyName, null)
    inv.signingPassword = inv.optionalString(args, signingPasswordName, null)
    inv.agentToken = inv.optionalString(args, 'agentTokenId', null)
    inv.agentCa = inv.optionalString(args, 'agentCaId', null)
    inv.promoteBinary = inv.optionalString(args, 'promoteBinary', DEFAULT_BINARY)

    if (args.containsKey('setDescription') && args.setDescription != null) {
      if (args.setDescription instanceof Boolean) inv.setDescription = args.setDescription
      else inv.errors << "setDescription must be true or false, not ${describe(args.setDescription)}"
    }
    if (args.containsKey('failOnError') && args.failOnError != null) {
      if (args.failOnError instanceof Boolean) inv.failOnError = args.failOnError
      else inv.errors << "failOnError must be true or false, not ${describe(args.failOnError)}"
    }
    if (args.containsKey('dryRun') && args.dryRun != null) {
      if (args.dryRun instanceof Boolean) inv.dryRun = args.dryRun
      else inv.errors << "dryRun must be true or false, not ${describe(args.dryRun)}"
    }
    inv.checkPath('config', inv.config, 'promote.yaml')
    inv.checkPath('promoteBinary', inv.promoteBinary, 'promote')
    if (inv.agent != null && !(inv.agent ==~ /[^\s\x00-\x1f\x7f]{1,1024}/)) {
      inv.errors << "agent: '${printable(inv.agent)}' is not an address (host:port or unix:/path, no spaces)"
    }
    inv.checkCredentialsId(signingKeyName, inv.signingKey)
    inv.checkCredentialsId(signingPasswordName, inv.signingPassword)
    inv.checkCredentialsId('agentTokenId', inv.agentToken)
    inv.checkCredentialsId('agentCaId', inv.agentCa)
    inv.parseCredentials(args, credentialsName)
    return inv
  }

  /** One message listing every problem, for error(). */
  @NonCPS
  String errorMessage() {
    if (errors.size() == 1) return "promoteImage: ${errors[0]}"
    return "promoteImage: ${errors.size()} invalid parameters:\n" + errors.collect { " - ${it}" }.join('\n')
  }

  /** The sh script: constant text referring to the PROMOTE_STEP_* variables of environment(). */
  @NonCPS
  String script() {
    List<String> words = ['"$PROMOTE_STEP_BINARY"', '-o', 'json', 'run', '--config', '"$PROMOTE_STEP_CONFIG"']
    if (to != null) words += ['--to', '"$PROMOTE_STEP_TO"']
    if (from != null) words += ['--from', '"$PROMOTE_STEP_FROM"']
    if (sha != null) words += ['--sha', '"$PROMOTE_STEP_SHA"']
    if (branch != null) words += ['--branch', '"$PROMOTE_STEP_BRANCH"']
    if (dryRun) words << '--dry-run'
    if (breakGlass != null) words += ['--break-glass', '"$PROMOTE_STEP_BREAK_GLASS"']
    if (author != null) words += ['--author', '"$PROMOTE_STEP_AUTHOR"']
    return words.join(' ') + ' >"$PROMOTE_STEP_RESULT"'
  }

  /** Non-secret variables for withEnv: the values the script refers to, and PROMOTE_AGENT. */
  @NonCPS
  List<String> environment() {
    List<String> vars = ["PROMOTE_STEP_BINARY=${promoteBinary}", "PROMOTE_STEP_CONFIG=${config}",
                         "PROMOTE_STEP_RESULT=${resultFile()}"].collect { it.toString() }
    if (to != null) vars << "PROMOTE_STEP_TO=${to}".toString()
    if (from != null) vars << "PROMOTE_STEP_FROM=${from}".toString()
    if (sha != null) vars << "PROMOTE_STEP_SHA=${sha}".toString()
    if (branch != null) vars << "PROMOTE_STEP_BRANCH=${branch}".toString()
    if (breakGlass != null) vars << "PROMOTE_STEP_BREAK_GLASS=${breakGlass}".toString()
    if (author != null) vars << "PROMOTE_STEP_AUTHOR=${author}".toString()
    if (agent != null) vars << "PROMOTE_AGENT=${agent}".toString()
    return vars
  }

  /**
   * withCredentials bindings as plain maps: [kind: 'usernamePassword' | 'file' | 'string',
   * credentialsId: ..., and the variable names]. Environment `prod` gets PROMOTE_PROD_USERNAME and
   * PROMOTE_PROD_PASSWORD: promote's convention (its README, "Registries, TLS and credentials"),
   * which promote reads and checks itself.
   */
  @NonCPS
  List<Map> credentialBindings() {
    List<Map> bindings = []
    credentials.each { String envName, String id ->
      String prefix = credentialVariablePrefix(envName)
      bindings << [kind: 'usernamePassword', credentialsId: id, usernameVariable: "${prefix}_USERNAME".toString(),
                   passwordVariable: "${prefix}_PASSWORD".toString()]
    }
    if (signingKey != null) bindings << [kind: 'file', credentialsId: signingKey, variable: 'PROMOTE_SIGNING_KEY']
    if (signingPassword != null) {
      bindings << [kind: 'string', credentialsId: signingPassword, variable: 'PROMOTE_KEY_PASSWORD']
    }
    if (agentToken != null) bindings << [kind: 'string', credentialsId: agentToken, variable: 'PROMOTE_AGENT_TOKEN']
    if (agentCa != null) bindings << [kind: 'file', credentialsId: agentCa, variable: 'PROMOTE_AGENT_CA']
    return bindings
  }

  /** The names of the credentials-id parameters that were given, for messages. */
  @NonCPS
  List<String> credentialParameters() {
    List<String> names = []
    if (credentials) names << 'credentialsId'
    if (signingKey != null) names << 'signingKeyId'
    if (signingPassword != null) names << 'signingPasswordId'
    if (agentToken != null) names << 'agentTokenId'
    if (agentCa != null) names << 'agentCaId'
    return names
  }

  /** The workspace file the JSON result is written to and archived from: a plain name, whatever `to` holds. */
  @NonCPS
  String resultFile() {
    return to != null ? "promote-result-${to.replaceAll(/[^A-Za-z0-9_-]/, '_')}.json".toString() : 'promote-result.json'
  }

  @NonCPS
  static String credentialVariablePrefix(String envName) {
    return 'PROMOTE_' + envName.toUpperCase(Locale.ROOT).replaceAll(/[^A-Z0-9]/, '_')
  }

  @NonCPS
  private String optionalString(Map args, String name, String fallback) {
    if (!args.containsKey(name)) return fallback
    Object v = args[name]
    if (v == null) return null
    if (!(v instanceof CharSequence)) {
      errors << "${name} must be a string, not ${describe(v)}".toString()
      return null
    }
    String s = v.toString().trim()
    return s.isEmpty() ? null : s
  }

  @NonCPS
  private void checkPath(String name, String value, String fallback) {
    if (value == null) {
      if (name == 'config') config = fallback
      if (name == 'promoteBinary') promoteBinary = fallback
      return
    }
    if (value.startsWith('-') || !(value ==~ /[^\x00-\x1f\x7f]{1,4096}/)) {
      errors << "${name}: '${printable(value)}' is not a usable path (no control characters, must not start with '-')".toString()
    }
  }

  /** NAME, or its earlier alias when only that is given; both given is an error. */
  @NonCPS
  private String idParameterName(Map args, String name) {
    String alias = ALIASES.find { it.value == name }.key
    if (args.containsKey(alias) && args.containsKey(name)) {
      errors << "${alias} is the earlier name of ${name}: pass only ${name}".toString()
    }
    return args.containsKey(alias) && !args.containsKey(name) ? alias : name
  }

  // The value is never shown: a parameter meant for an id may have been given the secret itself.
  @NonCPS
  private void checkCredentialsId(String name, String id) {
    if (id != null && !(id ==~ CREDENTIALS_ID)) {
      errors << "${name}: not a credentials id (letters, digits, '_', '.', '-'; pass the id of a Jenkins credential, " +
          "not the secret; the value is not shown)".toString()
    }
  }

  @NonCPS
  private void parseCredentials(Map args, String name) {
    if (!args.containsKey(name) || args[name] == null) return
    if (!(args[name] instanceof Map)) {
      errors << "${name} must be a map of environment name to credentials id ([prod: 'prod-registry']), " +
          "not ${args[name] instanceof CharSequence ? 'a string' : args[name].getClass().simpleName}".toString()
      return
    }
    ((Map) args[name]).each { Object k, Object v ->
      String envName = String.valueOf(k)
      if (!(v instanceof CharSequence) || !(v.toString() ==~ CREDENTIALS_ID)) {
        checkCredentialsId("${name}.${printable(envName)}".toString(), v instanceof CharSequence ? v.toString() : '')
        return
      }
      credentials[envName] = v.toString()
    }
  }

  @NonCPS
  private static String describe(Object v) {
    if (v == null) return 'null'
    String text = v instanceof CharSequence ? "'${printable(v.toString())}'" : printable(String.valueOf(v))
    return "${v.getClass().simpleName} ${text}".toString()
  }

  /** The value with control characters shown as \\uXXXX and cut at 80 characters, for messages. */
  @NonCPS
  static String printable(String s) {
    StringBuilder out = new StringBuilder()
    for (char c : s.toCharArray()) {
      if (out.length() >= 80) {
        out.append('…')
        break
      }
      if (c < (char) 0x20 || c == (char) 0x7f) out.append(String.format('\\u%04x', (int) c))
      else out.append(c)
    }
    return out.toString()
  }
}
