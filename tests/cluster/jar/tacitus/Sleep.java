package tacitus;

/* Prints "TACITUS-SLEEP N", then sleeps N seconds (args[0], 600 by default). */
public final class Sleep {
	public static void main(String[] args) throws InterruptedException {
		long n = args.length > 0 ? Long.parseLong(args[0]) : 600;
		System.out.println("TACITUS-SLEEP " + n);
		System.out.flush();
		Thread.sleep(n * 1000);
	}
}
