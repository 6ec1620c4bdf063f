import ArgumentParser
import DispatchAPI
import Foundation
import OrbitaModel
import StoreFactory
import TerminalOutput

/// A role on the command line.
struct RoleArgument: ExpressibleByArgument {
    let role: AccessRole
    init?(argument: String) {
        guard let role = AccessRole(rawValue: argument) else { return nil }
        self.role = role
    }
}

/// `orbita token`: API tokens for the dispatch API.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke API tokens (viewer, dispatcher, admin).",
        subcommands: [TokenCreateCommand.self, TokenListCommand.self, TokenRevokeCommand.self],
        defaultSubcommand: TokenListCommand.self)
}

struct TokenCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a token and print its secret (shown once; only its SHA-256 is stored).")

    @Option(help: "viewer (reads), dispatcher (also acknowledges events, approves detours) or admin (also edits).")
    var role: RoleArgument
    @Option(help: "Who or what it is for.") var name = "token"
    @OptionGroup var database: DatabaseOption

    func run() throws {
        guard (1...200).contains(name.count) else { throw ValidationError("--name is 1–200 characters") }
        let store = try database.open()
        let secret = TokenSecret.generate()
        do {
            let token = try store.createToken(
                name: name, role: role.role, secretSHA256: TokenSecret.sha256(secret), at: .now)
            printError("token \(token.id) (\(token.role.rawValue), \(token.name)) created; its secret follows, keep it")
            print(secret)
        } catch {
            throw CommandError("orbita token create: \(error)")
        }
    }
}

struct TokenListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never secrets).")
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.open()
        do {
            printText("id  role        created                   revoked                   name")
            for token in try store.tokens() {
                let columns = [
                    String(token.id).padding(toLength: 4, withPad: " ", startingAt: 0),
                    token.role.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0),
                    token.created.iso8601.padding(toLength: 26, withPad: " ", startingAt: 0),
                    (token.revoked?.iso8601 ?? "-").padding(toLength: 26, withPad: " ", startingAt: 0), token.name,
                ]
                printText(columns.joined())
            }
        } catch {
            throw CommandError("orbita token list: \(error)")
        }
    }
}

struct TokenRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a token: requests carrying it get 401 from then on.")
    @Argument(help: "The token's number (orbita token list).") var id: Int64
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.open()
        do {
            guard try store.revokeToken(id: id, at: .now) else {
                throw CommandError("orbita token revoke: no token \(id) in force")
            }
            printError("token \(id) revoked")
        } catch let error as ExitCode {
            throw error
        } catch {
            throw CommandError("orbita token revoke: \(error)")
        }
    }
}
