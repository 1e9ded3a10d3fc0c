package tacitus;

import org.apache.spark.sql.SparkSession;

/* Counts N rows (args[0], 100 by default) on the cluster and prints "TACITUS-COUNT N". */
public final class Count {
	public static void main(String[] args) {
		long n = args.length > 0 ? Long.parseLong(args[0]) : 100;
		SparkSession spark = SparkSession.builder().appName("tacitus-count").getOrCreate();
		System.out.println("TACITUS-COUNT " + spark.range(n).count());
		spark.stop();
	}
}
