# The mails Vigie sends: acknowledgements, replies, changes of a ticket,
# and the notices to refused senders.
mail-ticket-created-subject = Ticket { $number } received: { $title }
mail-ticket-created-body = Hello,

    your request "{ $title }" is recorded as ticket { $number }.
    Reply to this message to add to it: your reply goes onto the ticket.
mail-public-reply-subject = Reply on ticket { $number }: { $title }
mail-public-reply-body = Hello,

    { $author } replied on your ticket { $number }:
mail-assignment-subject = Ticket { $number } taken: { $title }
mail-assignment-body = Hello,

    your ticket { $number } is now handled by { $who }.
mail-requester-reply-subject = The requester replied on ticket { $number }: { $title }
mail-requester-reply-body = Hello,

    { $author } replied on ticket { $number } "{ $title }":
mail-assigned-to-you-subject = Ticket { $number } assigned to you: { $title }
mail-assigned-to-you-body = Hello,

    ticket { $number } "{ $title }" was assigned to you by { $author }.
mail-escalation-subject = Ticket { $number } escalated to { $who }: { $title }
mail-escalation-body = Hello,

    ticket { $number } "{ $title }" was escalated to your group { $who }.
mail-manager-alert-subject = Alert on ticket { $number }: { $title }
mail-manager-alert-body = Hello,

    as the manager of group { $who }, you are alerted about ticket { $number } "{ $title }":
mail-sla-warning-subject = Deadline near for ticket { $number }: { $title }
mail-sla-warning-body = Hello,

    the service deadline of ticket { $number } "{ $title }" is near:
mail-resolved-subject = Ticket { $number } resolved: { $title }
mail-resolved-body = Hello,

    your ticket { $number } is resolved. Solution:
mail-resolved-survey = Tell us how we did: { $link }
mail-ticket-link = See the ticket: { $link }
mail-reply-hint = To answer, simply reply to this message, keeping [VIGIE#{ $number }] in the subject.
mail-notice-subject = Your message opened no ticket: { $subject }
mail-notice-unknown-sender = Hello,

    this address takes requests from the service's known users only. Your message opened no ticket; please contact your IT department.
mail-notice-not-contact-point = Hello,

    for your establishment, only its point of contact may write to the service: { $names }. Your message opened no ticket; please pass it on to them.
mail-not-participant = This mail answers ticket { $number }, in which its sender takes no part: it opens a ticket of its own.
mail-signature = — Vigie service desk
