package tacitus;

/* Prints a line and exits with status 1. */
public final class Exit1 {
	public static void main(String[] args) {
		System.out.println("TACITUS-EXIT 1");
		System.exit(1);
	}
}
