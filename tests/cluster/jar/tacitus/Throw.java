package tacitus;

/* Throws out of main. */
public final class Throw {
	public static void main(String[] args) {
		throw new IllegalStateException("TACITUS-THROW as asked");
	}
}
