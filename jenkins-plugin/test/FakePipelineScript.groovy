/** Base class of a vars/ script under test: pipeline steps go to the FakePipeline in the binding. */
abstract class FakePipelineScript extends Script {
  FakePipeline getPipeline() { (FakePipeline) binding.getVariable('pipeline') }

  Object sh(Map m) { pipeline.sh(m) }
  Object sh(String script) { pipeline.sh([script: script]) }
  Object withEnv(List vars, Closure body) { pipeline.withEnv(vars, body) }
  Object withCredentials(List bindings, Closure body) { pipeline.withCredentials(bindings, body) }
  Map usernamePassword(Map m) { pipeline.binding('usernamePassword', m) }
  Map file(Map m) { pipeline.binding('file', m) }
  Map string(Map m) { pipeline.binding('string', m) }
  String readFile(String path) { pipeline.readFile(path) }
  String readFile(Map m) { pipeline.readFile(m.file.toString()) }
  boolean fileExists(String path) { pipeline.fileExists(path) }
  void writeFile(Map m) { pipeline.writeFile(m) }
  void archiveArtifacts(Map m) { pipeline.archiveArtifacts(m) }
  void echo(String message) { pipeline.echo(message) }
  void error(String message) { pipeline.error(message) }
}
