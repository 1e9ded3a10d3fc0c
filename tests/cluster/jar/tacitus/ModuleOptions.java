package tacitus;

/* Prints the JVM options Spark's launcher gives its JVMs on Java 17 (one line): what a
 * driver submitted through the REST server needs in spark.driver.extraJavaOptions. */
public final class ModuleOptions {
	public static void main(String[] args) {
		System.out.println(org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptions());
	}
}
