# Les mails que Vigie envoie : accusés de réception, réponses, changements
# d'un ticket, et les avis aux expéditeurs refusés.
mail-ticket-created-subject = Ticket { $number } enregistré : { $title }
mail-ticket-created-body = Bonjour,

    votre demande « { $title } » est enregistrée sous le numéro { $number }.
    Répondez à ce message pour la compléter : votre réponse sera ajoutée au ticket.
mail-public-reply-subject = Réponse sur le ticket { $number } : { $title }
mail-public-reply-body = Bonjour,

    { $author } a répondu sur votre ticket { $number } :
mail-assignment-subject = Ticket { $number } pris en charge : { $title }
mail-assignment-body = Bonjour,

    votre ticket { $number } est pris en charge par { $who }.
mail-requester-reply-subject = Le demandeur a répondu sur le ticket { $number } : { $title }
mail-requester-reply-body = Bonjour,

    { $author } a répondu sur le ticket { $number } « { $title } » :
mail-assigned-to-you-subject = Ticket { $number } qui vous est attribué : { $title }
mail-assigned-to-you-body = Bonjour,

    le ticket { $number } « { $title } » vous est attribué par { $author }.
mail-escalation-subject = Ticket { $number } escaladé vers { $who } : { $title }
mail-escalation-body = Bonjour,

    le ticket { $number } « { $title } » est escaladé vers votre groupe { $who }.
mail-manager-alert-subject = Alerte sur le ticket { $number } : { $title }
mail-manager-alert-body = Bonjour,

    en tant que responsable du groupe { $who }, vous êtes alerté sur le ticket { $number } « { $title } » :
mail-sla-warning-subject = Échéance proche pour le ticket { $number } : { $title }
mail-sla-warning-body = Bonjour,

    l'échéance de service du ticket { $number } « { $title } » approche :
mail-resolved-subject = Ticket { $number } résolu : { $title }
mail-resolved-body = Bonjour,

    votre ticket { $number } est résolu. Solution :
mail-resolved-survey = Votre avis nous aide : { $link }
mail-ticket-link = Voir le ticket : { $link }
mail-reply-hint = Pour répondre, répondez simplement à ce message en gardant [VIGIE#{ $number }] dans l'objet.
mail-notice-subject = Votre message n'a pas ouvert de ticket : { $subject }
mail-notice-unknown-sender = Bonjour,

    cette adresse ne reçoit les demandes que des utilisateurs connus du service. Votre message n'a pas ouvert de ticket ; contactez votre service informatique.
mail-notice-not-contact-point = Bonjour,

    pour votre établissement, seul son point de contact peut écrire au service : { $names }. Votre message n'a pas ouvert de ticket ; transmettez-le-lui.
mail-not-participant = Ce mail répond au ticket { $number }, auquel son expéditeur ne participe pas : il ouvre un ticket à part.
mail-signature = — Vigie, centre de services
