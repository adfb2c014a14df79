// Certificates for the TLS tests, made by the openssl CLI once per test process.
import Foundation

/// A throwaway PKI in a fresh temporary directory: a trusted test CA and an untrusted one, and
/// the server and client certificates the TLS tests need. Every file is PEM; keys are
/// unencrypted EC P-256 (PKCS#8), which openssl makes in milliseconds.
///
/// Made on first use by ``shared()`` with the `openssl` command (`make deps` installs it), on a
/// thread of its own so the slow part never blocks the concurrency pool, and kept for the rest
/// of the test process.
struct TestCertificates: Sendable {
    /// A certificate and its private key, as file paths.
    struct Identity: Sendable {
        let certificatePath: String
        let keyPath: String

        var certificatePEM: String { (try? String(contentsOfFile: certificatePath, encoding: .utf8)) ?? "" }
        var keyPEM: String { (try? String(contentsOfFile: keyPath, encoding: .utf8)) ?? "" }
    }

    let directory: URL
    /// The trusted root, "kstlib test CA".
    let ca: Identity
    /// A second root that no test trusts, "kstlib untrusted CA".
    let untrustedCA: Identity
    /// CN localhost; SANs DNS:localhost and IP:127.0.0.1; issued by ``ca``.
    let server: Identity
    /// ``server``'s certificate followed by ``ca``'s: a chain that ends in a root.
    let serverWithRoot: Identity
    /// CN and only SAN DNS:wrong.example (no IP SAN); issued by ``ca``.
    let wrongName: Identity
    /// Like ``server`` but valid only in January 2020; issued by ``ca``.
    let expired: Identity
    /// CN localhost, SANs DNS:localhost and IP:127.0.0.1, signed by its own key.
    let selfSigned: Identity
    /// Like ``server`` but issued by ``untrustedCA``.
    let untrustedServer: Identity
    /// A client certificate (CN kstlib test client, clientAuth) issued by ``ca``.
    let client: Identity
    /// A client certificate issued by ``untrustedCA``.
    let untrustedClient: Identity

    /// The process's certificates, made on first call.
    static func shared() async throws -> TestCertificates {
        try await generation.value
    }

    private static let generation = Task<TestCertificates, any Error> {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try TestCertificates.generate() })
            }
            thread.name = "test-certificates"
            thread.start()
        }
    }

    // MARK: Generation (on its own thread)

    private static let configuration = """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = unused
        [root]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        [localhost]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost, IP:127.0.0.1
        [wrong_name]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:wrong.example
        [client]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = clientAuth
        # `openssl ca`, for the certificate with dates in the past (`x509 -req` in OpenSSL 3.0
        # has no way to set notBefore).
        [ca]
        default_ca = test_ca
        [test_ca]
        database = index.txt
        new_certs_dir = issued
        serial = serial
        certificate = ca.pem
        private_key = ca.key
        default_md = sha256
        policy = any_name
        unique_subject = no
        copy_extensions = none
        [any_name]
        commonName = supplied
        """

    /// Fresh for each test process; removed when the process exits.
    private static let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent(
            "kstlib-tls-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")

    private static func generate() throws -> TestCertificates {
        let directory = Self.directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestCertificates.directory) }
        let pki = PKI(directory: directory)
        try pki.write("openssl.cnf", configuration)

        let ca = try pki.root("ca", name: "kstlib test CA")
        let untrustedCA = try pki.root("untrusted-ca", name: "kstlib untrusted CA")
        let server = try pki.leaf("server", name: "localhost", section: "localhost", issuer: "ca", serial: 2)
        let wrongName = try pki.leaf(
            "wrong-name", name: "wrong.example", section: "wrong_name", issuer: "ca", serial: 3)
        let selfSigned = try pki.selfSigned("self-signed", name: "localhost", section: "localhost")
        let untrustedServer = try pki.leaf(
            "untrusted-server", name: "localhost", section: "localhost", issuer: "untrusted-ca", serial: 4)
        let client = try pki.leaf("client", name: "kstlib test client", section: "client", issuer: "ca", serial: 5)
        let untrustedClient = try pki.leaf(
            "untrusted-client", name: "kstlib test client", section: "client", issuer: "untrusted-ca", serial: 6)
        let expired = try pki.expired("expired", name: "localhost", section: "localhost")
        let chain = try pki.read("server.pem") + pki.read("ca.pem")
        try pki.write("server-with-root.pem", chain)
        let serverWithRoot = Identity(certificatePath: pki.path("server-with-root.pem"), keyPath: server.keyPath)

        return TestCertificates(
            directory: directory, ca: ca, untrustedCA: untrustedCA, server: server, serverWithRoot: serverWithRoot,
            wrongName: wrongName, expired: expired, selfSigned: selfSigned, untrustedServer: untrustedServer,
            client: client, untrustedClient: untrustedClient)
    }
}

/// Why the certificates could not be made.
struct TestCertificateError: Error, CustomStringConvertible {
    let description: String
}

/// The openssl invocations, run in one directory.
private struct PKI {
    let directory: URL

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8)
    }

    /// A self-signed CA certificate, valid ten years from now.
    func root(_ stem: String, name: String) throws -> TestCertificates.Identity {
        try openssl(
            "req", "-config", "openssl.cnf", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "\(stem).key", "-out", "\(stem).pem", "-days", "3650", "-subj", "/CN=\(name)",
            "-extensions", "root")
        return identity(stem)
    }

    /// A key and a certificate request for `name`.
    private func request(_ stem: String, name: String) throws {
        try openssl(
            "req", "-config", "openssl.cnf", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "\(stem).key", "-out", "\(stem).csr", "-subj", "/CN=\(name)")
    }

    /// A certificate for `name` with the extensions of `section`, issued by `issuer`, valid a year.
    func leaf(_ stem: String, name: String, section: String, issuer: String, serial: Int) throws
        -> TestCertificates.Identity
    {
        try request(stem, name: name)
        try openssl(
            "x509", "-req", "-in", "\(stem).csr", "-CA", "\(issuer).pem", "-CAkey", "\(issuer).key",
            "-set_serial", "\(serial)", "-days", "365", "-sha256",
            "-extfile", "openssl.cnf", "-extensions", section, "-out", "\(stem).pem")
        return identity(stem)
    }

    /// A certificate for `name` signed by its own key (not a CA).
    func selfSigned(_ stem: String, name: String, section: String) throws -> TestCertificates.Identity {
        try openssl(
            "req", "-config", "openssl.cnf", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "\(stem).key", "-out", "\(stem).pem", "-days", "365", "-subj", "/CN=\(name)",
            "-extensions", section)
        return identity(stem)
    }

    /// A certificate issued by "ca" that expired long ago (1 January to 1 February 2020).
    func expired(_ stem: String, name: String, section: String) throws -> TestCertificates.Identity {
        try request(stem, name: name)
        try FileManager.default.createDirectory(atPath: path("issued"), withIntermediateDirectories: true)
        try write("index.txt", "")
        try write("serial", "1000\n")
        try openssl(
            "ca", "-config", "openssl.cnf", "-batch", "-notext", "-startdate", "20200101000000Z",
            "-enddate", "20200201000000Z", "-extensions", section, "-in", "\(stem).csr", "-out", "\(stem).pem")
        return identity(stem)
    }

    private func identity(_ stem: String) -> TestCertificates.Identity {
        TestCertificates.Identity(certificatePath: path("\(stem).pem"), keyPath: path("\(stem).key"))
    }

    /// Runs `openssl arguments...` in the directory; throws with its output when it fails.
    private func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw TestCertificateError(description: "cannot run openssl (install it, e.g. `make deps`): \(error)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let status =
                process.terminationStatus == 127
                ? "openssl not found (install it, e.g. `make deps`)" : "exit status \(process.terminationStatus)"
            throw TestCertificateError(description: "openssl \(arguments.joined(separator: " ")): \(status)\n\(text)")
        }
    }
}
