package dev.promote.jenkins

import com.cloudbees.groovy.cps.NonCPS
import groovy.json.JsonSlurperClassic

/**
 * What one `promote run -o json` call produced: its exit code and JSON result (docs/result-json.md,
 * schema 1), turned into the step's return value, a build description and, on failure, the message
 * the build fails with. Which kind of failure it was is promote's to say: the message shows its
 * error.category (bad_input, gate_refused, auth, registry, cancelled, internal) and error.message.
 */
class PromoteResult implements Serializable {
  private static final long serialVersionUID = 1L

  int exitCode
  boolean ok
  /** The parsed JSON object, or null when promote printed none. */
  Map json
  String failureMessage
  String description

  @NonCPS
  static PromoteResult from(int exitCode, String output, PromoteInvocation inv) {
    PromoteResult r = new PromoteResult()
    r.exitCode = exitCode
    r.json = parse(output)
    String target = r.targetEnvironment(inv)
    if (r.json == null) {
      r.ok = false
      r.failureMessage = noResultMessage(exitCode, inv)
      r.description = "${target}: failed".toString()
      return r
    }
    r.ok = exitCode == 0 && r.json.ok == true
    if (r.ok) {
      r.description = r.successDescription(target)
    } else {
      r.failureMessage = r.failure(target)
      r.description = "${target}: ${r.json.status == 'refused' ? 'refused' : 'failed'}".toString()
    }
    return r
  }

  /**
   * The step's return value: plain serializable collections.
   * Keys: status, dryRun, digest, from, fromReference, to, reference, platforms, tags (written, moved,
   * unchanged, refused), signature, record (references or null), gates ([name, verdict, detail]),
   * breakGlass (the reason a window gate was overridden with, or null), blobs, bytes, resultFile, exitCode,
   * fromTag (the source tag promote resolved, sha-2b2e927); for a release set (promote.yaml images:)
   * also images: one map per image (name, digest, fromReference, reference, tags with restored and
   * left, gates, signature, record), in the set's order.
   */
  @NonCPS
  Map toMap(PromoteInvocation inv) {
    // No JSON (promote crashed or was not found): the map of a failure that says nothing more.
    Map json = this.json != null ? this.json : [status: 'failed']
    Map from = json.from instanceof Map ? (Map) json.from : [:]
    Map to = json.to instanceof Map ? (Map) json.to : [:]
    Map tags = json.tags instanceof Map ? (Map) json.tags : [:]
    Map result = [
        status       : json.status,
        dryRun       : json.dry_run == true,
        digest       : json.digest,
        from         : from.env,
        fromReference: from.reference,
        fromTag      : from.tag,
        to           : to.env,
        reference    : to.reference,
        platforms    : json.platforms instanceof List ? new ArrayList((List) json.platforms) : [],
        tags         : [written  : list(tags.written), moved: list(tags.moved), unchanged: list(tags.unchanged),
                        refused  : list(tags.refused)],
        signature    : json.signature instanceof Map ? json.signature.reference : null,
        record       : json.record instanceof Map ? json.record.reference : null,
        gates        : gatesOf(json.gates),
        breakGlass   : json.break_glass instanceof Map ? json.break_glass.reason : null,
        blobs        : json.blobs instanceof Map ? new LinkedHashMap((Map) json.blobs) : [:],
        bytes        : json.bytes instanceof Map ? new LinkedHashMap((Map) json.bytes) : [:],
        resultFile   : inv.resultFile(),
        exitCode     : exitCode,
    ]
    if (json.images instanceof List) result.images = imagesOf((List) json.images)
    return result
  }

  /** The gates of a result or of one image: [name, verdict, detail, counts]. */
  @NonCPS
  private static List gatesOf(Object json) {
    List gates = []
    if (!(json instanceof List)) return gates
    for (Object g : (List) json) {
      if (!(g instanceof Map)) continue
      Map gate = [name: g.name, verdict: g.verdict]
      if (g.detail != null) gate.detail = g.detail
      if (g.counts instanceof Map) gate.counts = new LinkedHashMap((Map) g.counts)
      gates << gate
    }
    return gates
  }

  /** A release set's images, one map each, as the result's images array has them. */
  @NonCPS
  private static List imagesOf(List json) {
    List images = []
    for (Object i : json) {
      if (!(i instanceof Map)) continue
      Map from = i.from instanceof Map ? (Map) i.from : [:]
      Map to = i.to instanceof Map ? (Map) i.to : [:]
      Map tags = i.tags instanceof Map ? (Map) i.tags : [:]
      images << [
          name         : i.name,
          digest       : i.digest,
          fromReference: from.reference,
          reference    : to.reference,
          tags         : [written : list(tags.written), moved: list(tags.moved), unchanged: list(tags.unchanged),
                          refused : list(tags.refused), restored: list(tags.restored), left: list(tags.left)],
          gates        : gatesOf(i.gates),
          signature    : i.signature instanceof Map ? i.signature.reference : null,
          record       : i.record instanceof Map ? i.record.reference : null,
      ]
    }
    return images
  }

  /** One line for the console: what moved where. */
  @NonCPS
  String summary() {
    Map to = json.to instanceof Map ? (Map) json.to : [:]
    String line = "promoteImage: ${json.status} ${json.digest} to ${to.reference ?: to.env}"
    if (json.images instanceof List) line = "promoteImage: ${json.status} release set to ${to.env}"
    if (json.break_glass instanceof Map) line += " (BREAK-GLASS: ${json.break_glass.reason})"
    if (json.images instanceof List) {
      // One line per image: where it went, and the tags put back when a later image failed to tag.
      for (Object i : (List) json.images) {
        if (!(i instanceof Map)) continue
        Map image = (Map) i
        String ref = image.to instanceof Map ? ((Map) image.to).reference : null
        List restored = image.tags instanceof Map ? list(((Map) image.tags).restored) : []
        line += "\n  ${image.name}: ${image.digest ?: '-'} ${ref ?: '-'}".toString()
        if (restored) line += " (tags put back: ${restored.join(', ')})".toString()
      }
    }
    return line.toString()
  }

  @NonCPS
  private static Map parse(String output) {
    if (output == null || output.trim().isEmpty()) return null
    try {
      Object parsed = new JsonSlurperClassic().parseText(output)
      return parsed instanceof Map ? (Map) parsed : null
    } catch (Exception ignored) {
      return null
    }
  }

  @NonCPS
  private String targetEnvironment(PromoteInvocation inv) {
    if (json?.to instanceof Map && json.to.env) return json.to.env
    return inv.to ?: 'promote'
  }

  @NonCPS
  private String successDescription(String target) {
    Map from = json.from instanceof Map ? (Map) json.from : [:]
    String source = from.tag ?: ''
    if (!source) source = json.sha ? "sha-${String.valueOf(json.sha).take(7)}" : (from.env ?: '?')
    String digest = String.valueOf(json.digest ?: '')
    if (digest.length() > 19) digest = digest.take(19) + '…'
    // A release set has no one digest: the description counts its images.
    if (json.images instanceof List) digest = "release set of ${((List) json.images).size()} images"
    String text = "${target} ← ${source} @ ${digest}"
    if (json.status == 'planned') text += ' (dry run)'
    else if (json.status == 'unchanged') text += ' (unchanged)'
    return text.toString()
  }

  @NonCPS
  private String failure(String target) {
    Map error = json.error instanceof Map ? (Map) json.error : [:]
    String message = error.message ?: "promote exited with ${exitCode}"
    String kind = "${error.category ?: 'failed'} (${error.code ?: 'unknown'}, exit ${exitCode})"
    String text = "promoteImage: ${target}: ${kind}: ${message}"
    List<String> refused = refusedGates(json.gates, '')
    if (json.images instanceof List) {
      for (Object i : (List) json.images) {
        if (i instanceof Map) refused.addAll(refusedGates(((Map) i).gates, "${((Map) i).name}/"))
      }
    }
    if (refused) text += "\nrefused gates: ${refused.join('; ')}"
    if (json.tags instanceof Map && json.tags.refused) text += "\nrefused tags: ${list(json.tags.refused).join(', ')}"
    text += restoredNote()
    return text.toString()
  }

  /** "NAME: DETAIL" of each refused gate in GATES, each name prefixed with PREFIX (a set's image). */
  @NonCPS
  private static List<String> refusedGates(Object gates, String prefix) {
    List<String> refused = []
    if (!(gates instanceof List)) return refused
    for (Object g : (List) gates) {
      if (g instanceof Map && g.verdict == 'refused') {
        refused << "${prefix}${g.name}${g.detail ? ': ' + g.detail : ''}".toString()
      }
    }
    return refused
  }

  /** A release set whose tag write failed: which images' tags were put back. */
  @NonCPS
  private String restoredNote() {
    if (!(json.images instanceof List)) return ''
    List<String> put = []
    for (Object i : (List) json.images) {
      if (!(i instanceof Map) || !(((Map) i).tags instanceof Map)) continue
      List restored = list(((Map) ((Map) i).tags).restored)
      if (restored) put << "${((Map) i).name} (${restored.join(', ')})".toString()
    }
    return put ? "; release set: tags put back for ${put.join(', ')}".toString() : ''
  }

  @NonCPS
  private static String noResultMessage(int exitCode, PromoteInvocation inv) {
    String hint = exitCode == 127 ? " (command not found: is '${inv.promoteBinary}' installed, or set promoteBinary)" :
        exitCode == 126 ? " ('${inv.promoteBinary}' is not executable)" : ''
    return ("promoteImage: promote exited with ${exitCode} and printed no JSON result${hint}; " +
        'see its messages in the log above').toString()
  }

  @NonCPS
  private static List list(Object v) {
    return v instanceof List ? new ArrayList((List) v) : []
  }
}
