/** A failed step, as hudson.AbortException is in Jenkins. */
class StepFailure extends RuntimeException {
  StepFailure(String message) { super(message) }
}
